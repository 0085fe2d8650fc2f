/**
 * Fairness: a run of 3 tasks submitted while a run of 2,000 tasks waits
 * for the same sandboxes, against the same small run on idle sandboxes.
 * The scheduler keeps each queue only a few tasks per slot deep and
 * gives room to the run with the fewest tasks dispatched, so the small
 * run should wait for a few tasks per slot, not for the big run. The
 * first-in, first-out figure is what a plain work queue would give: the
 * big run's whole duration.
 */
import { fileURLToPath } from 'node:url';
import { BenchStack, checkRun } from '../lib/river-stack.mjs';
import { row, sideBySide } from '../lib/side-by-side.mjs';

const PIPELINE = fileURLToPath(
  new URL('../pipelines/fan-out.ts', import.meta.url),
);
const SMALL = 3;

/** Resolves once `count` tasks of the run have started. */
async function tasksStarted(stack, runId, count) {
  let started = 0;
  for await (const event of stack.client.watch(runId)) {
    if (event.type === 'task.started' && ++started >= count) {
      return;
    }
  }
}

/** Follows a run to its end and resolves with its wall time, in ms. */
async function runEnd(stack, runId, since) {
  for await (const event of stack.client.watch(runId)) {
    if (event.type === 'run.finished') {
      if (event.status !== 'succeeded') {
        throw new Error(`Run ${runId} ended ${event.status}.`);
      }
      return performance.now() - since;
    }
  }
  throw new Error(`Run ${runId} ended without run.finished.`);
}

export default {
  name: 'fairness',
  summary: 'a 3-task run behind a 2,000-task run, against it alone',
  async run({ repeat, quick, log }) {
    const big = quick ? 300 : 2_000;
    const stack = await BenchStack.start({ sandboxes: 2, slots: 4 });
    try {
      checkRun(await stack.runProject(PIPELINE, { count: '10' }), 10);
      const small = async () => {
        const result = await stack.runProject(PIPELINE, {
          count: String(SMALL),
        });
        checkRun(result, SMALL);
        return result.wallMs;
      };
      const { medians } = await sideBySide(
        repeat,
        {
          alone: async () => ({ smallMs: await small() }),
          'behind a big run': async () => {
            const since = performance.now();
            const { runId } = await stack.client.submit(PIPELINE, {
              params: { count: String(big) },
            });
            await tasksStarted(stack, runId, 50);
            const smallMs = await small();
            const bigMs = await runEnd(stack, runId, since);
            return { smallMs, fifoMs: bigMs };
          },
        },
        log,
      );
      const behind = medians['behind a big run'];
      return {
        rows: [
          row('small run wall, ms', medians, 'smallMs'),
          row(
            `the ${big}-task run's wall (FIFO would wait this), ms`,
            medians,
            'fifoMs',
          ),
          {
            measure: 'small run behind / alone',
            values: { ratio: behind.smallMs / medians.alone.smallMs },
          },
        ],
        targets: [
          {
            target: 'small run behind ≤ 10 × alone',
            ratio: behind.smallMs / medians.alone.smallMs,
            met: behind.smallMs <= 10 * medians.alone.smallMs,
          },
        ],
      };
    } finally {
      await stack.stop();
    }
  },
};
