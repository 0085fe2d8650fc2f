/**
 * Task runner overhead: runs the same no-op task (`true`) many times
 * under each runner of runner-overhead.runners.mjs, one after the other,
 * and prints the time per task side by side: the runner alone (launch to
 * exit, with its limits and cleanup) and the whole attempt as a sandbox
 * makes it (a fresh workspace, the run, the workspace removed).
 *
 *   npm run build && npm run bench:runners [-- --tasks 200 --json]
 *
 * `--runners process,bwrap` picks runners; a runner that does not work
 * on this host is listed with the reason and skipped. The docker runner
 * starts an engine of its own (root, dockerd and busybox-static needed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createServiceLogger } from '../packages/protocol/dist/internal/index.js';
import {
  createWorkspace,
  removeWorkspace,
} from '../services/sandbox/dist/workspace.js';
import { RUNNERS } from './runner-overhead.runners.mjs';

/** The limits every task runs with, as a sandbox's defaults would set. */
const LIMITS = {
  memoryMb: 4096,
  processes: 1024,
  openFiles: 4096,
  diskMb: 10240,
};
/** Tasks run before measuring, so that caches are warm. */
const WARM_UP = 10;

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '200' },
    runners: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const tasks = Number(values.tasks);
const wanted = values.runners?.split(',');
const log = createServiceLogger('bench', 'warn');
const sink = { write: () => true, drained: () => Promise.resolve() };

/** Runs one no-op task; returns [runner ms, attempt ms]. */
async function once(runner, request, workDir) {
  const started = performance.now();
  const workspace = await createWorkspace(workDir, 'bench');
  const launched = performance.now();
  const end = await runner.run(
    {
      attemptKey: 'bench',
      command: 'true',
      workspace: workspace.root,
      cwd: '',
      env: { PATH: '/usr/bin:/bin', HOME: workspace.root },
      timeoutMs: 30_000,
      network: false,
      limits: LIMITS,
      ...request,
    },
    sink,
  );
  const ended = performance.now();
  await removeWorkspace(workspace.root);
  if (end.kind !== 'ended' || end.exitCode !== 0) {
    throw new Error(`A no-op task failed: ${JSON.stringify(end)}`);
  }
  return [ended - launched, performance.now() - started];
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    min: sorted[0],
  };
}

const workDir = await mkdtemp(join(tmpdir(), 'river-bench-runners-'));
const results = [];
/** What runners set up and must take down again (a Docker engine). */
const stops = [];
try {
  for (const entry of RUNNERS) {
    if (wanted !== undefined && !wanted.includes(entry.kind)) {
      continue;
    }
    const setup = await entry.setUp({ workDir, log });
    if ('unavailable' in setup) {
      results.push({ kind: entry.kind, unavailable: setup.unavailable });
      continue;
    }
    if (setup.stop !== undefined) {
      stops.push(setup.stop);
    }
    const request = setup.request ?? {};
    for (let i = 0; i < WARM_UP; i++) {
      await once(setup.runner, request, workDir);
    }
    const run = [];
    const attempt = [];
    for (let i = 0; i < tasks; i++) {
      const [runMs, attemptMs] = await once(setup.runner, request, workDir);
      run.push(runMs);
      attempt.push(attemptMs);
    }
    results.push({
      kind: entry.kind,
      tasks,
      run: summary(run),
      attempt: summary(attempt),
    });
  }
} finally {
  for (const stop of stops) {
    await stop();
  }
  await rm(workDir, { recursive: true, force: true });
}

if (values.json) {
  console.log(JSON.stringify(results, null, 2));
} else {
  const base = results.find((result) => result.kind === 'process')?.run?.median;
  const ms = (value) => value.toFixed(1).padStart(7);
  console.log(`No-op task (\`true\`), ${tasks} tasks per runner, in ms`);
  console.log('runner    run median    p90    min  attempt median  vs process');
  for (const result of results) {
    if (result.unavailable !== undefined) {
      console.log(
        `${result.kind.padEnd(9)} not available: ${result.unavailable}`,
      );
      continue;
    }
    const { run, attempt } = result;
    const extra =
      base === undefined ? '' : `+${(run.median - base).toFixed(1)}`;
    console.log(
      `${result.kind.padEnd(9)} ${ms(run.median)}    ${ms(run.p90)}${ms(run.min)}  ${ms(attempt.median)}        ${extra.padStart(6)}`,
    );
  }
}
