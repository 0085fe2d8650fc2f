import { Buckets, Streams, Subjects } from '@river/protocol';
import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventsOf,
  finishCounts,
  runHistory,
  seeded,
  startNatsCluster,
  startServices,
  storedRunEvents,
  type TestNatsCluster,
  type TestServices,
} from '../helpers/nats-cluster.js';

/** Tasks of the run; the project adds one that checks their sum. */
const TASKS = 300;
const REPLICAS = 3;
const DAY_MS = 24 * 60 * 60 * 1_000;

/** Set RIVER_TEST_SEED to repeat a run's choice of node and moment. */
const SEED = Number(process.env.RIVER_TEST_SEED ?? Date.now() % 1_000_000);
const random = seeded(SEED);

let nats: TestNatsCluster;
let services: TestServices;
let connection: RiverConnection;

beforeAll(async () => {
  nats = await startNatsCluster({ size: 3 });
  connection = await connectRiver({ servers: nats.url, name: 'cluster-test' });
  await replicateBuckets(connection);
  services = await startServices(nats.url, {
    RIVER_STREAM_REPLICAS: String(REPLICAS),
    RIVER_SLOTS: '8',
    RIVER_JOB_STALL_MS: '5000',
  });
}, 120_000);

afterAll(async () => {
  await connection?.nc.close();
  await services?.stop();
  await nats?.dispose();
});

/**
 * Creates the key-value buckets and object stores with three replicas
 * before any service starts, as an operator of a cluster does: the
 * services create them with one replica when they are missing, and leave
 * existing ones as they are. The settings match the services' own.
 */
async function replicateBuckets(river: RiverConnection): Promise<void> {
  const replicas = REPLICAS;
  await river.kvm.create(Buckets.tasks, {
    history: 1,
    ttl: 7 * DAY_MS,
    replicas,
  });
  await river.kvm.create(Buckets.cancels, { ttl: 7 * DAY_MS, replicas });
  await river.objm.create(Buckets.artifacts, { storage: 'file', replicas });
  await river.objm.create(Buckets.bundles, { replicas });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How many log chunks of the run the logs stream holds. */
async function storedChunks(runId: string): Promise<number> {
  const info = await connection.jsm.streams.info(Streams.logs, {
    subjects_filter: Subjects.runLogChunks(runId),
  });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

/** Waits until at least `count` tasks of the run have finished. */
async function tasksFinished(runId: string, count: number): Promise<void> {
  for (;;) {
    const events = await storedRunEvents(connection, runId).catch(() => []);
    if (eventsOf(events, 'task.finished').length >= count) {
      return;
    }
    const [ended] = eventsOf(events, 'run.finished');
    if (ended !== undefined) {
      throw new Error(
        `Run ended ${ended.status} before ${count} tasks finished: ` +
          `${ended.error ?? ''} ${JSON.stringify(eventsOf(events, 'job.finished'))}`,
      );
    }
    await sleep(100);
  }
}

describe('a three-node NATS cluster with streams replicated three times', () => {
  it('finishes every task of a run once when a node stops mid-run', async () => {
    const victim = Math.floor(random() * nats.nodes.length);
    const signal = random() < 0.5 ? 'SIGTERM' : 'SIGKILL';
    const after = Math.floor(TASKS * (0.1 + random() * 0.5));
    const node = nats.nodes[victim];
    // The seed goes to the test output so a failure can be repeated.
    process.stdout.write(
      `RIVER_TEST_SEED=${SEED}: ${signal} to ${node?.name} after ` +
        `${after} of ${TASKS} tasks\n`,
    );

    for (const stream of Object.values(Streams)) {
      const info = await connection.jsm.streams.info(stream);
      expect(info.config.num_replicas, stream).toBe(REPLICAS);
    }
    const logIndex = await connection.jsm.streams.info(
      `KV_${Buckets.logIndex}`,
    );
    expect(logIndex.config.num_replicas).toBe(REPLICAS);

    const client = await RiverClient.connect({ servers: nats.url });
    // A node killed with SIGKILL can take a dispatch's acknowledgement
    // with it: the dispatch comes again, its first attempt counts as lost
    // (docs/guarantees.md), and one retry runs the task.
    const { runId } = await client.submit('tests/fixtures/nats-many-tasks.ts', {
      params: { tasks: String(TASKS), width: '16', retries: '1' },
    });
    await tasksFinished(runId, after);
    await node?.stop(signal);
    const history = await runHistory(connection, runId, 150_000);

    const finished = eventsOf(history, 'run.finished');
    expect(finished).toHaveLength(1);
    // A failure names the attempts that failed or were lost, and why.
    const failures = [
      ...eventsOf(history, 'task.finished')
        .filter((event) => !event.outcome.ok)
        .map((event) => ({
          taskId: event.taskId,
          attempt: event.attempt,
          reason: event.outcome.reason,
          message: event.outcome.message,
        })),
      ...eventsOf(history, 'task.lost'),
    ];
    expect(
      finished[0]?.status,
      `${finished[0]?.error}: ${JSON.stringify(failures)}`,
    ).toBe('succeeded');
    process.stdout.write(
      `attempts lost and retried: ${eventsOf(history, 'task.lost').length}\n`,
    );
    const counts = finishCounts(history);
    expect(counts.size).toBe(TASKS + 1);
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
    const outcomes = eventsOf(history, 'task.finished');
    expect(outcomes.every((event) => event.outcome.ok)).toBe(true);
    for (const service of services.processes) {
      expect(service.child.exitCode, service.name).toBeNull();
    }

    // Every chunk stored is served by the two nodes left, each task's
    // output whole.
    const served = new Map<string, string>();
    let chunks = 0;
    for await (const chunk of client.logs(runId)) {
      const text = Buffer.from(chunk.data).toString();
      served.set(chunk.taskId, (served.get(chunk.taskId) ?? '') + text);
      chunks++;
    }
    await client.close();
    expect(chunks).toBe(await storedChunks(runId));
    const numbers = [...served]
      .filter(([taskId]) => /^(?:low|high)-/.test(taskId))
      .map(([, text]) => text);
    for (const text of numbers) {
      expect(text).toMatch(/^\d+\n$/);
    }
    // TODO: expect every task's output once sandboxes retry log chunks
    // for longer. They give a chunk up after three quick tries, which a
    // stream's leader election can outlast, so that output never reaches
    // the stream; the count is printed so that it shows.
    process.stdout.write(
      `${TASKS - numbers.length} of ${TASKS} tasks lost their output\n`,
    );
  }, 240_000);
});
