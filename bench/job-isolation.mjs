/**
 * Job isolation benchmark: runs every hostile job logic of
 * job-isolation.attacks.mjs under every mechanism of
 * job-isolation.mechanisms.mjs, each in a fresh process that stands in
 * for the controller, and measures each mechanism's cost per run.
 *
 *   npm run build && npm run bench:job-isolation
 *
 * isolated-vm is measured when it is installed (ISOLATED_VM_DIR names
 * its package directory). Every probe runs under a 4 GiB data limit so
 * that an attack that is not stopped cannot take the machine down with
 * it: an unlimited allocation shows as a controller that grew to
 * gigabytes, or died.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleProject } from '../packages/sdk/dist/client/bundler.js';
import { ATTACKS, bundleOf } from './job-isolation.attacks.mjs';
import { loadIsolatedVm, MECHANISMS } from './job-isolation.mechanisms.mjs';

/** Starts the one job every bench bundle defines. */
const START_JOB = {
  type: 'start-job',
  runId: 'run-bench',
  now: 0,
  job: 'attack',
  upstream: {},
  sources: [],
  params: {},
  artifacts: {},
};

const SELF = fileURLToPath(import.meta.url);
const LIMITS = { memoryLimitMb: 256, stallLimitMs: 2_000, cpuLimitMs: 5_000 };
/** How long a probe waits for its run's outcome. */
const PROBE_DEADLINE_MS = 25_000;
/** The data limit of each probe process, to keep the machine safe. */
const PROBE_DATA_LIMIT_BYTES = 4 * 1024 ** 3;
/** What the stand-in controller may grow by before it counts as a breach. */
const HOST_GROWTH_ALLOWED_MB = 300;
/** What a job logic process may hold: its limit plus Node's own share. */
const JOB_PROCESS_ALLOWED_MB = LIMITS.memoryLimitMb + 64 + 100;
const STARTS = 15;
const ROUND_TRIPS = 2_000;
const IDLE_RUNS = 10;

const MB = 1024 * 1024;

function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Resident memory of a process and everything below it. */
function treeRss(pid) {
  let children = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {}
  return rssOf(pid) + children.reduce((sum, child) => sum + treeRss(child), 0);
}

function startRun(mechanism, code, handlers) {
  const events = {
    onMessage: (message) => handlers.message(message),
    onFailure: (reason) => handlers.failure(reason),
  };
  const data = { code, file: 'attack.ts', seed: 'run-bench' };
  return MECHANISMS[mechanism](data, LIMITS, events);
}

function taskResult(requestId, n) {
  return {
    type: 'task-result',
    requestId,
    result: { taskId: `attack-${n}`, attempt: 1, outcome: { exitCode: 0 } },
    now: 0,
  };
}

/** One attack under one mechanism; prints its outcome as JSON. */
async function probe(mechanism, attackName) {
  const started = Date.now();
  const hostBase = process.memoryUsage.rss();
  let hostPeak = hostBase;
  let jobPeak = 0;
  let run;
  let tasks = 0;
  const sampler = setInterval(() => {
    hostPeak = Math.max(hostPeak, process.memoryUsage.rss());
    for (const pid of run?.pids() ?? []) {
      jobPeak = Math.max(jobPeak, treeRss(pid));
    }
  }, 20);
  let finished = false;
  const finish = async (kind, text) => {
    if (finished) {
      return;
    }
    finished = true;
    clearInterval(sampler);
    process.stdout.write(
      `${JSON.stringify({
        kind,
        text,
        ms: Date.now() - started,
        hostGrowthMb: Math.round((hostPeak - hostBase) / MB),
        jobPeakMb: Math.round(jobPeak / MB),
      })}\n`,
    );
    await run?.terminate();
    process.exit(0);
  };
  run = startRun(mechanism, bundleOf(ATTACKS[attackName]), {
    message(message) {
      if (message.type === 'loaded') {
        run.ready();
        run.post(START_JOB);
      } else if (message.type === 'task') {
        tasks += 1;
        run.post(taskResult(message.requestId, tasks));
      } else if (message.type === 'job-succeeded') {
        void finish('succeeded', JSON.parse(message.valueJson));
      } else if (message.type === 'job-failed') {
        void finish('failed', message.message);
      } else if (message.type === 'load-failed') {
        void finish('failed', message.message);
      }
    },
    failure: (reason) => void finish('stopped', reason),
  });
  setTimeout(() => void finish('no outcome', ''), PROBE_DEADLINE_MS);
}

function verdict(result) {
  if (result.kind === 'crashed') {
    return `BREACH: the controller died (${result.text})`;
  }
  if (result.kind === 'no outcome') {
    return `BREACH: still running after ${PROBE_DEADLINE_MS / 1000} s`;
  }
  if (String(result.text).startsWith('ESCAPED')) {
    return `BREACH: ${String(result.text).slice(8, 80)}`;
  }
  if (result.hostGrowthMb > HOST_GROWTH_ALLOWED_MB) {
    return `BREACH: the controller grew by ${result.hostGrowthMb} MB`;
  }
  if (result.jobPeakMb > JOB_PROCESS_ALLOWED_MB) {
    return `BREACH: its process grew to ${result.jobPeakMb} MB`;
  }
  const text = String(result.text).replace(/\s+/g, ' ');
  return `stopped in ${result.ms} ms: ${text.slice(0, 70)}`;
}

function runProbe(mechanism, attackName) {
  return new Promise((resolve) => {
    const child = spawn(
      'prlimit',
      [
        `--data=${PROBE_DATA_LIMIT_BYTES}`,
        process.execPath,
        SELF,
        '--probe',
        mechanism,
        attackName,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4_000);
    });
    child.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').at(-1);
      try {
        resolve(JSON.parse(line));
      } catch {
        const fatal = stderr
          .split('\n')
          .find((text) => /fatal|error/i.test(text))
          ?.replace(/^#\s*/, '');
        resolve({
          kind: 'crashed',
          text: `${signal ?? `exit ${code}`}${fatal ? `, ${fatal}` : ''}`,
        });
      }
    });
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Start-up, round trip and idle memory of one mechanism, as JSON. */
async function overhead(mechanism) {
  const hello = await bundleProject(
    fileURLToPath(new URL('../tests/fixtures/hello.ts', import.meta.url)),
  );

  const starts = [];
  for (let i = 0; i < STARTS; i++) {
    const begun = process.hrtime.bigint();
    await new Promise((resolve) => {
      const run = startRun(mechanism, hello.code, {
        message(message) {
          if (message.type === 'loaded') {
            starts.push(Number(process.hrtime.bigint() - begun) / 1e6);
            void run.terminate().then(resolve);
          }
        },
        failure: () => {},
      });
    });
  }

  const echo = bundleOf({
    body: `for (let i = 0; i < ${ROUND_TRIPS}; i++) {
      await host.requestTask({ name: 't', spec: {} });
    }
    return 'done';`,
  });
  const roundTripUs = await new Promise((resolve) => {
    let first = 0n;
    let tasks = 0;
    const run = startRun(mechanism, echo, {
      message(message) {
        if (message.type === 'loaded') {
          run.ready();
          run.post(START_JOB);
        } else if (message.type === 'task') {
          if (tasks === 0) {
            first = process.hrtime.bigint();
          }
          tasks += 1;
          run.post(taskResult(message.requestId, tasks));
        } else if (message.type === 'job-succeeded') {
          const us = Number(process.hrtime.bigint() - first) / 1e3;
          // Before the run ends: a worker's exit reports a failure.
          resolve(us / ROUND_TRIPS);
          void run.terminate();
        }
      },
      failure: (reason) => resolve(`failed: ${reason}`),
    });
  });

  global.gc?.();
  const hostBefore = process.memoryUsage.rss();
  const runs = [];
  await Promise.all(
    Array.from(
      { length: IDLE_RUNS },
      () =>
        new Promise((resolve) => {
          const run = startRun(mechanism, hello.code, {
            message: (message) => {
              if (message.type === 'loaded') {
                resolve();
              }
            },
            failure: () => resolve(),
          });
          runs.push(run);
        }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  global.gc?.();
  const children = runs
    .flatMap((run) => run.pids())
    .reduce((sum, pid) => sum + treeRss(pid), 0);
  const total = process.memoryUsage.rss() - hostBefore + children;
  await Promise.all(runs.map((run) => run.terminate()));

  process.stdout.write(
    `${JSON.stringify({
      startMs: median(starts),
      roundTripUs,
      idleMb: total / IDLE_RUNS / MB,
    })}\n`,
  );
  process.exit(0);
}

function runOverhead(mechanism) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', SELF, '--overhead', mechanism],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('close', () => {
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
      } catch {
        resolve(undefined);
      }
    });
  });
}

async function main() {
  const mechanisms = Object.keys(MECHANISMS).filter(
    (name) => name !== 'isolated-vm' || loadIsolatedVm() !== undefined,
  );
  if (!mechanisms.includes('isolated-vm')) {
    process.stdout.write(
      'isolated-vm is not installed (set ISOLATED_VM_DIR); skipped\n\n',
    );
  }
  const limits =
    `limits: ${LIMITS.memoryLimitMb} MB, stall ${LIMITS.stallLimitMs} ms, ` +
    `CPU ${LIMITS.cpuLimitMs} ms`;
  process.stdout.write(`## Attacks (${limits})\n\n`);
  for (const mechanism of mechanisms) {
    process.stdout.write(
      `### ${mechanism}\n\n| attack | outcome |\n|---|---|\n`,
    );
    let stopped = 0;
    for (const attack of Object.keys(ATTACKS)) {
      const outcome = verdict(await runProbe(mechanism, attack));
      stopped += outcome.startsWith('BREACH') ? 0 : 1;
      process.stdout.write(`| ${attack} | ${outcome.replace(/\|/g, '/')} |\n`);
    }
    process.stdout.write(
      `\n${stopped} of ${Object.keys(ATTACKS).length} stopped\n\n`,
    );
  }

  process.stdout.write(
    '## Overhead\n\n| mechanism | start-up to loaded, median | ' +
      'round trip per task | memory per idle run |\n|---|---|---|---|\n',
  );
  for (const mechanism of mechanisms) {
    const cost = await runOverhead(mechanism);
    process.stdout.write(
      cost === undefined
        ? `| ${mechanism} | failed | | |\n`
        : `| ${mechanism} | ${cost.startMs.toFixed(1)} ms | ${
            typeof cost.roundTripUs === 'number'
              ? `${cost.roundTripUs.toFixed(0)} µs`
              : cost.roundTripUs
          } | ${cost.idleMb.toFixed(1)} MB |\n`,
    );
  }
}

const [mode, mechanism, attack] = process.argv.slice(2);
if (mode === '--probe') {
  await probe(mechanism, attack);
} else if (mode === '--overhead') {
  await overhead(mechanism);
} else {
  await main();
}
