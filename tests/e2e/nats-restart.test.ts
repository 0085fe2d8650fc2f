import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventsOf,
  finishCounts,
  runHistory,
  startNatsCluster,
  startServices,
  storedRunEvents,
  type TestNatsCluster,
  type TestServices,
} from '../helpers/nats-cluster.js';

/** Tasks of the run; the project adds one that checks their sum. */
const TASKS = 120;
/**
 * How long the server stays down: a restart's worth. Publishes made while
 * it is away are lost by the client and must be tried again.
 */
const DOWN_MS = 2_000;

let nats: TestNatsCluster;
let services: TestServices;
let connection: RiverConnection;

beforeAll(async () => {
  nats = await startNatsCluster({ size: 1 });
  services = await startServices(nats.url, {
    RIVER_SLOTS: '4',
    RIVER_JOB_STALL_MS: '5000',
  });
  connection = await connectRiver({ servers: nats.url, name: 'restart-test' });
});

afterAll(async () => {
  await connection?.nc.close();
  await services?.stop();
  await nats?.dispose();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Submits a run of the many-tasks project; returns its id. */
async function submitRun(): Promise<string> {
  const client = await RiverClient.connect({ servers: nats.url });
  try {
    const run = await client.submit('tests/fixtures/nats-many-tasks.ts', {
      params: { tasks: String(TASKS), width: '16' },
    });
    return run.runId;
  } finally {
    await client.close();
  }
}

/** Waits until at least `count` tasks of the run have finished. */
async function tasksFinished(runId: string, count: number): Promise<void> {
  for (;;) {
    const events = await storedRunEvents(connection, runId);
    if (eventsOf(events, 'task.finished').length >= count) {
      return;
    }
    await sleep(100);
  }
}

/** Each task's stored output, read through the log-collector. */
async function printedByTask(runId: string): Promise<Map<string, string>> {
  const printed = new Map<string, string>();
  const client = await RiverClient.connect({ servers: nats.url });
  try {
    for await (const chunk of client.logs(runId)) {
      const text = Buffer.from(chunk.data).toString();
      printed.set(chunk.taskId, (printed.get(chunk.taskId) ?? '') + text);
    }
  } finally {
    await client.close();
  }
  return printed;
}

describe.each(['SIGTERM', 'SIGKILL'] as const)(
  'a nats-server stopped with %s mid-run and started again',
  (signal) => {
    it('sees every service reconnect and the run finish each task once', async () => {
      const runId = await submitRun();
      await tasksFinished(runId, TASKS / 4);

      const [node] = nats.nodes;
      await node?.stop(signal);
      await sleep(DOWN_MS);
      await node?.start();
      const history = await runHistory(connection, runId, 180_000);

      const finished = eventsOf(history, 'run.finished');
      expect(finished, JSON.stringify(finished)).toHaveLength(1);
      expect(finished[0]?.status, finished[0]?.error).toBe('succeeded');
      const counts = finishCounts(history);
      expect(counts.size).toBe(TASKS + 1);
      expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
      const outcomes = eventsOf(history, 'task.finished');
      expect(outcomes.every((event) => event.outcome.ok)).toBe(true);
      for (const service of services.processes) {
        expect(service.child.exitCode, service.name).toBeNull();
      }

      // The log-collector answers again, and every task's output is kept.
      const printed = await printedByTask(runId);
      expect(printed.size).toBe(TASKS + 1);
      const numbers = [...printed]
        .filter(([taskId]) => /^(?:low|high)-/.test(taskId))
        .map(([, text]) => text)
        .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
      expect(numbers).toEqual(
        Array.from({ length: TASKS }, (_, i) => `${i + 1}\n`),
      );
      const sum = (TASKS * (TASKS + 1)) / 2;
      expect(printed.get('total-1')).toBe(`sum ${sum}\n`);
    }, 240_000);
  },
);
