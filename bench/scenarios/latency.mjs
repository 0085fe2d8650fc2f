/**
 * Latency: single-task runs one after the other on a warm system, from
 * submission to the run's end, against a bare spawn of the same command,
 * a NATS request and reply, and a BullMQ job added and waited for.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { bullQueue, startRedis } from '../lib/redis.mjs';
import { BenchStack, checkRun } from '../lib/river-stack.mjs';
import { row, sideBySide } from '../lib/side-by-side.mjs';
import { quantile } from '../lib/stats.mjs';

const PIPELINE = fileURLToPath(
  new URL('../pipelines/single.ts', import.meta.url),
);
const runFile = promisify(execFile);

/** Times `count` sequential calls of `once`; their p50 and p99 in ms. */
async function timeEach(count, once) {
  const times = [];
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await once(index);
    times.push(performance.now() - started);
  }
  return { p50Ms: quantile(times, 0.5), p99Ms: quantile(times, 0.99) };
}

export default {
  name: 'latency',
  summary: 'single-task runs one after the other, submission to result',
  async run({ repeat, quick, log }) {
    const count = quick ? 50 : 1_000;
    const stack = await BenchStack.start({ sandboxes: 1, slots: 1 });
    const redis = await startRedis();
    const nc = await connect({ servers: stack.local.natsUrl });
    const responder = nc.subscribe('bench.echo', {
      callback: (_error, message) => message.respond(message.data),
    });
    const bull = await bullQueue(redis, 'latency', 1, () =>
      runFile('sh', ['-c', 'true']),
    );
    try {
      checkRun(await stack.runProject(PIPELINE), 1);
      const { medians } = await sideBySide(
        repeat,
        {
          River: () =>
            timeEach(count, async () => {
              checkRun(await stack.runProject(PIPELINE), 1);
            }),
          'bare spawn': () =>
            timeEach(count, () => runFile('sh', ['-c', 'true'])),
          'NATS request': () =>
            timeEach(count, async () => {
              const reply = await nc.request('bench.echo', 'ping');
              if (reply.string() !== 'ping') {
                throw new Error(`The echo answered ${reply.string()}`);
              }
            }),
          BullMQ: (round) =>
            timeEach(count, async (index) => {
              const job = await bull.queue.add(
                'true',
                {},
                {
                  jobId: `r${round}-${index}`,
                },
              );
              await job.waitUntilFinished(bull.events);
            }),
        },
        log,
      );
      const river = medians.River;
      return {
        rows: [
          row('p50 ms', medians, 'p50Ms'),
          row('p99 ms', medians, 'p99Ms'),
        ],
        targets: [
          { target: 'p50 ≤ 5 ms', ratio: river.p50Ms, met: river.p50Ms <= 5 },
          { target: 'p99 ≤ 15 ms', ratio: river.p99Ms, met: river.p99Ms <= 15 },
          {
            target: 'p50 < BullMQ p50',
            ratio: river.p50Ms / medians.BullMQ.p50Ms,
            met: river.p50Ms < medians.BullMQ.p50Ms,
          },
        ],
        detail: { runs: count },
      };
    } finally {
      await bull.close();
      responder.unsubscribe();
      await nc.close();
      await redis.stop();
      await stack.stop();
    }
  },
};
