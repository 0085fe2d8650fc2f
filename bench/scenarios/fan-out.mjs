/**
 * Fan-out: one job runs many no-op tasks on two sandboxes, against
 * `xargs -P2` running the same command (the spawn limit of the machine)
 * and BullMQ workers on a local redis-server spawning it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuSecondsOf, ownCpuSeconds, runChecked } from '../lib/processes.mjs';
import { bullQueue, startRedis } from '../lib/redis.mjs';
import { BenchStack, checkRun } from '../lib/river-stack.mjs';
import { row, sideBySide } from '../lib/side-by-side.mjs';

const PIPELINE = fileURLToPath(
  new URL('../pipelines/fan-out.ts', import.meta.url),
);

/** Runs `command` once per line of input, two at a time, under xargs. */
async function xargsRun(tasks, command) {
  const list = `${Array.from({ length: tasks }, (_, i) => i).join('\n')}\n`;
  await new Promise((resolve, reject) => {
    // xargs appends the number as the command's last argument ($0 of sh).
    const child = spawn('xargs', ['-P2', '-n1', ...command], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (data) => {
      stderr = (stderr + data).slice(-2_000);
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`xargs exited with ${code}: ${stderr}`)),
    );
    child.stdin.end(list);
  });
}

/** Spawns `command` and resolves once it exits with 0. */
function spawnOnce(command) {
  return runChecked(command[0], command.slice(1));
}

/**
 * Measures River (with `runner`) against xargs -P2 and, unless left out,
 * BullMQ, each running `tasks` times the command in `baselineCommand`.
 */
export async function measureFanOut({
  tasks,
  repeat,
  log,
  runner = 'process',
  baselineCommand = ['sh', '-c', 'true'],
  withBull = true,
}) {
  const stack = await BenchStack.start({ sandboxes: 2, slots: 1, runner });
  const redis = withBull ? await startRedis() : undefined;
  let bull;
  try {
    // A warm-up run, so that bundling and the first spawn are not timed.
    checkRun(await stack.runProject(PIPELINE, { count: '20' }), 20);
    const systems = {
      River: async () => {
        const cpuBefore = (await stack.cpuSeconds()) + (await ownCpuSeconds());
        const result = await stack.runProject(PIPELINE, {
          count: String(tasks),
        });
        const cpu =
          (await stack.cpuSeconds()) + (await ownCpuSeconds()) - cpuBefore;
        checkRun(result, tasks);
        return rates(tasks, result.wallMs, cpu);
      },
      'xargs -P2': async () => {
        const cpuBefore = await ownCpuSeconds();
        const started = performance.now();
        await xargsRun(tasks, baselineCommand);
        const wallMs = performance.now() - started;
        return rates(tasks, wallMs, (await ownCpuSeconds()) - cpuBefore);
      },
    };
    if (redis !== undefined) {
      let completed = 0;
      let failed = 0;
      let onCompleted = () => undefined;
      bull = await bullQueue(redis, 'fan-out', 2, async () => {
        await spawnOnce(baselineCommand);
      });
      bull.worker.on('completed', () => {
        completed += 1;
        onCompleted();
      });
      bull.worker.on('failed', () => {
        failed += 1;
        onCompleted();
      });
      systems.BullMQ = async (round) => {
        const cpuBefore =
          (await cpuSecondsOf(redis.pid)) + (await ownCpuSeconds());
        const started = performance.now();
        completed = 0;
        failed = 0;
        const done = new Promise((resolve) => {
          onCompleted = () => completed + failed === tasks && resolve();
        });
        await bull.queue.addBulk(
          Array.from({ length: tasks }, (_, index) => ({
            name: 'true',
            data: { index },
            opts: { jobId: `r${round}-${index}`, removeOnComplete: true },
          })),
        );
        await done;
        const wallMs = performance.now() - started;
        if (failed > 0) {
          throw new Error(`${failed} of ${tasks} BullMQ jobs failed.`);
        }
        const cpu =
          (await cpuSecondsOf(redis.pid)) + (await ownCpuSeconds()) - cpuBefore;
        return rates(tasks, wallMs, cpu);
      };
    }
    return await sideBySide(repeat, systems, log);
  } finally {
    await bull?.close();
    await redis?.stop();
    await stack.stop();
  }
}

function rates(tasks, wallMs, cpuSeconds) {
  return {
    tasksPerSecond: tasks / (wallMs / 1_000),
    cpuMsPerTask: (cpuSeconds * 1_000) / tasks,
  };
}

/** The fan-out scenario: 10,000 `sh -c true` tasks, process runner. */
export default {
  name: 'fan-out',
  summary: 'one job runs 10,000 `sh -c true` tasks on two sandboxes',
  async run({ repeat, quick, log }) {
    const tasks = quick ? 1_000 : 10_000;
    const { medians } = await measureFanOut({ tasks, repeat, log });
    const river = medians.River;
    const xargs = medians['xargs -P2'];
    const bull = medians.BullMQ;
    return {
      rows: [
        row('tasks per second', medians, 'tasksPerSecond'),
        row('CPU ms per task', medians, 'cpuMsPerTask'),
      ],
      targets: [
        {
          target: 'rate ≥ 0.5 × xargs -P2',
          ratio: river.tasksPerSecond / xargs.tasksPerSecond,
          met: river.tasksPerSecond >= 0.5 * xargs.tasksPerSecond,
        },
        {
          target: 'rate > BullMQ',
          ratio: river.tasksPerSecond / bull.tasksPerSecond,
          met: river.tasksPerSecond > bull.tasksPerSecond,
        },
      ],
      detail: { tasks },
    };
  },
};
