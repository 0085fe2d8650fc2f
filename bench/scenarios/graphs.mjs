/**
 * Chains and DAGs: a chain of 200 dependent tasks (the overhead of each
 * hop, one task's end to the next one's start) and a 1,000-job diamond,
 * each against the same graph as a Makefile under `make -j2`.
 */
import { fileURLToPath } from 'node:url';
import { chainGraph, diamondGraph, timeMake } from '../lib/make.mjs';
import { BenchStack, checkRun } from '../lib/river-stack.mjs';
import { row, sideBySide } from '../lib/side-by-side.mjs';
import { quantile } from '../lib/stats.mjs';

const CHAIN = fileURLToPath(new URL('../pipelines/chain.ts', import.meta.url));
const DIAMOND = fileURLToPath(
  new URL('../pipelines/diamond.ts', import.meta.url),
);
const DIAMOND_JOBS = 1_000;

/**
 * The gap between each task's end and the next one's start, in ms, from
 * the events: a task ends `durationMs` after its `task.started`.
 */
export function hopGaps(events) {
  const started = new Map();
  const ended = new Map();
  for (const event of events) {
    if (event.type === 'task.started') {
      started.set(event.taskId, event.at);
    }
  }
  const order = [];
  for (const event of events) {
    if (event.type === 'task.finished') {
      ended.set(
        event.taskId,
        started.get(event.taskId) + event.outcome.durationMs,
      );
      order.push(event.taskId);
    }
  }
  const gaps = [];
  for (let index = 1; index < order.length; index++) {
    gaps.push(started.get(order[index]) - ended.get(order[index - 1]));
  }
  return gaps;
}

/** Checks that the chain's last task printed its length. */
function checkChainEnd({ runId, events }, length) {
  const last = events.findLast((event) => event.type === 'task.finished');
  if (last?.outcome.stdout.trim() !== String(length)) {
    throw new Error(
      `The chain of ${runId} ended with ${JSON.stringify(last?.outcome.stdout)}, not ${length}.`,
    );
  }
}

export default {
  name: 'graphs',
  summary: 'a chain of 200 dependent tasks and a 1,000-job diamond',
  async run({ repeat, quick, log }) {
    const length = quick ? 50 : 200;
    const stack = await BenchStack.start({ sandboxes: 2, slots: 1 });
    try {
      checkRun(await stack.runProject(CHAIN, { length: '3' }), 3);
      const chain = await sideBySide(
        repeat,
        {
          River: async () => {
            const result = await stack.runProject(CHAIN, {
              length: String(length),
            });
            checkRun(result, length);
            checkChainEnd(result, length);
            const gaps = hopGaps(result.events);
            return {
              wallMs: result.wallMs,
              hopP50Ms: quantile(gaps, 0.5),
              hopP99Ms: quantile(gaps, 0.99),
            };
          },
          'make -j2': async () => {
            const wallMs = await timeMake(
              chainGraph(length),
              `step-${length - 1}`,
            );
            // make shows no per-hop times: its mean hop, spawn included.
            const meanHop = wallMs / length;
            return { wallMs, hopP50Ms: meanHop, hopP99Ms: meanHop };
          },
        },
        log,
      );
      const diamond = await sideBySide(
        repeat,
        {
          River: async () => {
            const result = await stack.runProject(DIAMOND);
            checkRun(result, DIAMOND_JOBS);
            return { wallMs: result.wallMs };
          },
          'make -j2': async () => ({
            wallMs: await timeMake(diamondGraph(DIAMOND_JOBS - 2), 'bottom'),
          }),
        },
        log,
      );
      const hops = chain.medians.River;
      const diamondRatio =
        diamond.medians.River.wallMs / diamond.medians['make -j2'].wallMs;
      return {
        rows: [
          row(`chain of ${length}: wall ms`, chain.medians, 'wallMs'),
          row('chain hop p50 ms', chain.medians, 'hopP50Ms'),
          row('chain hop p99 ms', chain.medians, 'hopP99Ms'),
          row('diamond of 1,000 jobs: wall ms', diamond.medians, 'wallMs'),
        ],
        targets: [
          {
            target: 'chain hop p50 ≤ 2 ms',
            ratio: hops.hopP50Ms,
            met: hops.hopP50Ms <= 2,
          },
          {
            target: 'chain hop p99 ≤ 10 ms',
            ratio: hops.hopP99Ms,
            met: hops.hopP99Ms <= 10,
          },
          {
            target: 'diamond wall ≤ 1.5 × make -j2',
            ratio: diamondRatio,
            met: diamondRatio <= 1.5,
          },
        ],
        detail: { chainLength: length, diamondJobs: DIAMOND_JOBS },
      };
    } finally {
      await stack.stop();
    }
  },
};
