import type { RunEvent, RunEventOf } from '@river/protocol';
import {
  connectRiver,
  type RiverConnection,
  setupRiver,
} from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readFleetStatus } from '../../packages/cli/src/fleet/fleet-status.js';
import { signalAndWait } from '../helpers/fault-stack.js';
import {
  eventsOf,
  startNatsCluster,
  startServices,
  storedRunEvents,
  type TestNatsCluster,
  type TestServices,
} from '../helpers/nats-cluster.js';

/**
 * The whole system on a three-node NATS cluster on loopback: two
 * schedulers (one dispatches), a controller, a log-collector and a fleet
 * of sandboxes with different labels. Figures are printed for the record.
 */

const REPLICAS = 3;
const LOAD = 'tests/fixtures/fleet-load.ts';

let nats: TestNatsCluster;
let services: TestServices;
let connection: RiverConnection;
let client: RiverClient;

/** Sandboxes of the default pool: id, labels, slots. */
const FLEET = [
  ['sb-gcc', 'gcc', 4],
  ['sb-both', 'gcc,docker', 4],
  ['sb-docker', 'docker', 4],
  ['sb-plain', '', 4],
] as const;

beforeAll(async () => {
  nats = await startNatsCluster({ size: 3 });
  connection = await connectRiver({ servers: nats.url, name: 'fleet-test' });
  await setupRiver(connection, { replicas: REPLICAS });
  services = await startServices(
    nats.url,
    { RIVER_STREAM_REPLICAS: String(REPLICAS), RIVER_JOB_STALL_MS: '5000' },
    ['log-collector', 'scheduler', 'scheduler', 'controller'],
  );
  for (const [id, labels, slots] of FLEET) {
    await services.start('sandbox', {
      RIVER_SANDBOX_ID: id,
      RIVER_LABELS: labels,
      RIVER_SLOTS: String(slots),
    });
  }
  client = await RiverClient.connect({ servers: nats.url, name: 'fleet' });
}, 120_000);

afterAll(async () => {
  await client?.close();
  await connection?.nc.close();
  await services?.stop();
  await nats?.dispose();
});

/** Submits the load fixture with `params` and returns its run id. */
async function submit(params: Record<string, string>): Promise<string> {
  const { runId } = await client.submit(LOAD, { params });
  return runId;
}

/** The run's events once it has finished (or the last seen, at timeout). */
async function finished(runId: string, timeoutMs = 240_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await storedRunEvents(connection, runId).catch(() => []);
    if (
      events.some((event) => event.type === 'run.finished') ||
      Date.now() > deadline
    ) {
      return events;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function until(
  runId: string,
  done: (events: RunEvent[]) => boolean,
): Promise<RunEvent[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const events = await storedRunEvents(connection, runId).catch(() => []);
    if (done(events) || Date.now() > deadline) {
      return events;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function runStatus(events: readonly RunEvent[]): string | undefined {
  return eventsOf(events, 'run.finished')[0]?.status;
}

/** Where each task ran: task id to sandbox id. */
function sandboxOf(events: readonly RunEvent[]): Map<string, string> {
  return new Map(
    eventsOf(events, 'task.started').map((e) => [e.taskId, e.sandboxId]),
  );
}

describe('a fleet on a three-node cluster', () => {
  it('runs each task only on sandboxes that offer its labels, spread over them', async () => {
    const { runId } = await client.submit('tests/fixtures/fleet-labels.ts');
    const events = await finished(runId);
    expect(runStatus(events)).toBe('succeeded');

    const names = new Map(
      eventsOf(events, 'task.requested').map((e) => [e.taskId, e.name]),
    );
    const spread: Record<string, Record<string, number>> = {};
    for (const [taskId, sandbox] of sandboxOf(events)) {
      const group = (names.get(taskId) ?? '').split('-')[0] ?? '';
      spread[group] ??= {};
      spread[group][sandbox] = (spread[group][sandbox] ?? 0) + 1;
    }
    process.stdout.write(
      `fleet spread by label set: ${JSON.stringify(spread)}\n`,
    );

    expect(Object.keys(spread.gcc ?? {}).sort()).toEqual(
      expect.arrayContaining(['sb-both', 'sb-gcc']),
    );
    expect(
      Object.keys(spread.gcc ?? {}).every(
        (id) => id === 'sb-gcc' || id === 'sb-both',
      ),
    ).toBe(true);
    expect(
      Object.keys(spread.docker ?? {}).every(
        (id) => id === 'sb-docker' || id === 'sb-both',
      ),
    ).toBe(true);
    expect(Object.keys(spread.both ?? {})).toEqual(['sb-both']);
    // Tasks without labels, asked for once the fleet is idle, reach every
    // sandbox, labelled ones included: placement goes to the roomiest.
    expect(Object.keys(spread.any ?? {}).sort()).toEqual(
      FLEET.map(([id]) => id).sort(),
    );
  }, 180_000);

  it('says why a task no live sandbox can serve waits, and finishes it when cancelled', async () => {
    const runId = await submit({ tasks: '1', labels: 'gpu' });
    const events = await until(runId, (seen) =>
      seen.some((event) => event.type === 'task.queued'),
    );
    const [queued] = eventsOf(events, 'task.queued');
    expect(queued).toMatchObject({
      cause: 'no-sandbox',
      reason: 'no live sandbox of pool default offers labels gpu',
    });
    // The dispatcher writes each pool's summary about every second.
    await vi.waitFor(
      async () => {
        const status = await readFleetStatus(connection);
        const pool = status.pools.find((found) => found.pool === 'default');
        expect(pool).toMatchObject({ unplaceable: 1 });
      },
      { timeout: 5_000, interval: 200 },
    );

    await client.cancel(runId, 'nobody offers gpu here');
    const after = await finished(runId, 30_000);
    expect(runStatus(after)).toBe('cancelled');
    expect(eventsOf(after, 'task.dispatched')).toEqual([]);
    expect(eventsOf(after, 'task.finished')[0]?.outcome.reason).toBe(
      'cancelled',
    );
  }, 60_000);

  it('lets a small run through while a run of 2,000 tasks is queued, and a higher priority first', async () => {
    const alone = Date.now();
    const baseline = await finished(await submit({ tasks: '3' }));
    const aloneMs = Date.now() - alone;
    expect(runStatus(baseline)).toBe('succeeded');

    const big = await submit({ tasks: '2000' });
    await until(big, (seen) => eventsOf(seen, 'task.started').length >= 100);
    const submittedAt = Date.now();
    const small = await submit({ tasks: '3' });
    const low = await submit({ tasks: '20', priority: '-100' });
    // One priority is the run's, the other each task's own.
    const { runId: high } = await client.submit(LOAD, {
      params: { tasks: '20' },
      priority: 100,
    });

    const smallEvents = await finished(small);
    const smallMs = Date.now() - submittedAt;
    const highEvents = await finished(high);
    const bigEvents = await finished(big);
    const lowEvents = await finished(low);
    for (const events of [smallEvents, highEvents, bigEvents, lowEvents]) {
      expect(runStatus(events)).toBe('succeeded');
    }
    const endOf = (events: readonly RunEvent[]) =>
      eventsOf(events, 'run.finished')[0]?.at ?? 0;
    const startsOf = (events: readonly RunEvent[]) =>
      eventsOf(events, 'task.dispatched').map((event) => event.at);
    const requested = eventsOf(smallEvents, 'task.requested').map((e) => e.at);
    const waitedMs =
      Math.max(...startsOf(smallEvents)) - Math.min(...requested);
    process.stdout.write(
      `small run: ${aloneMs} ms alone, ${smallMs} ms behind 2,000 queued ` +
        `tasks (${waitedMs} ms from its first request to its last ` +
        `dispatch); big run took ${endOf(bigEvents) - submittedAt} ms more\n`,
    );

    // The small run finished long before the big one.
    expect(endOf(smallEvents)).toBeLessThan(endOf(bigEvents));
    expect(smallMs).toBeLessThan(10_000);
    // The high-priority run went before the rest of the big one, the
    // low-priority one only once every task of the big one was placed.
    expect(endOf(highEvents)).toBeLessThan(endOf(bigEvents));
    expect(Math.min(...startsOf(lowEvents))).toBeGreaterThanOrEqual(
      Math.max(...startsOf(bigEvents)),
    );
  }, 400_000);

  it('runs at most max tasks of a concurrency key across runs, in request order', async () => {
    // Each task prints when its command began and ended (ms): events
    // cannot tell, as the scheduler frees a key's slot before it
    // publishes the task's end, and the next holder may start between.
    const params = {
      tasks: '12',
      command: 'date +ran:%s%3N; sleep 0.4; date +ran:%s%3N',
      key: 'shared-db',
      max: '2',
    };
    const runs = [await submit(params), await submit(params)];
    const histories = await Promise.all(runs.map((run) => finished(run)));

    const spans: [number, number][] = [];
    const dispatches: RunEventOf<'task.dispatched'>[] = [];
    const requests: string[][] = [];
    for (const events of histories) {
      expect(runStatus(events)).toBe('succeeded');
      for (const end of eventsOf(events, 'task.finished')) {
        const [from = 0, to = 0] = [
          ...end.outcome.stdout.matchAll(/ran:(\d+)/g),
        ].map((match) => Number(match[1]));
        spans.push([from, to]);
      }
      dispatches.push(...eventsOf(events, 'task.dispatched'));
      requests.push(eventsOf(events, 'task.requested').map((e) => e.taskId));
    }
    // The first `max` went as they arrived, which requests sent at once
    // may do in any order; every one after waited for the key, and the
    // waiters of each run went in the order they asked.
    dispatches.sort((a, b) => a.at - b.at);
    const waited = new Set(
      dispatches.slice(2).map((e) => `${e.runId}.${e.taskId}`),
    );
    for (const [index, events] of histories.entries()) {
      const runId = runs[index];
      const went = eventsOf(events, 'task.dispatched')
        .filter((e) => waited.has(`${runId}.${e.taskId}`))
        .map((e) => e.taskId);
      const asked = (requests[index] ?? []).filter((id) => went.includes(id));
      expect(went.length).toBeGreaterThanOrEqual(10);
      expect(went).toEqual(asked);
    }
    expect(spans).toHaveLength(24);
    expect(spans.every(([from, to]) => from > 0 && to - from >= 400)).toBe(
      true,
    );
    const most = Math.max(
      ...spans.map(
        ([start]) =>
          spans.filter(([from, to]) => from <= start && start < to).length,
      ),
    );
    process.stdout.write(
      `concurrency key shared-db (max 2): at most ${most} at once\n`,
    );
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBe(2);
  }, 240_000);

  it('says so when the sandboxes of a queue holding its tasks are gone, and cancels them', async () => {
    const sandbox = await services.start('sandbox', {
      RIVER_SANDBOX_ID: 'strand-1',
      RIVER_POOL: 'strand',
      RIVER_SLOTS: '1',
    });
    const runId = await submit({
      tasks: '4',
      command: 'sleep 5',
      pool: 'strand',
    });
    await until(runId, (seen) => eventsOf(seen, 'task.started').length >= 1);
    await signalAndWait(sandbox, 'SIGKILL');

    const events = await until(runId, (seen) =>
      eventsOf(seen, 'task.queued').some((e) => /live any more/.test(e.reason)),
    );
    const stranded = eventsOf(events, 'task.queued').filter((e) =>
      /none of which is live any more/.test(e.reason),
    );
    expect(stranded.length).toBeGreaterThanOrEqual(1);

    await client.cancel(runId, 'the pool has no sandbox left');
    const after = await finished(runId, 30_000);
    expect(runStatus(after)).toBe('cancelled');
    const ended = new Set(
      eventsOf(after, 'task.finished').map((e) => e.taskId),
    );
    expect(ended.size).toBe(4);
  }, 90_000);

  it('gives work to a sandbox added mid-run within a second', async () => {
    await services.start('sandbox', {
      RIVER_SANDBOX_ID: 'late-1',
      RIVER_POOL: 'late',
      RIVER_SLOTS: '1',
    });
    const runId = await submit({
      tasks: '30',
      command: 'sleep 0.3',
      pool: 'late',
    });
    await until(runId, (seen) => eventsOf(seen, 'task.finished').length >= 3);

    const before = Date.now();
    await services.start('sandbox', {
      RIVER_SANDBOX_ID: 'late-2',
      RIVER_POOL: 'late',
      RIVER_SLOTS: '2',
    });
    const ready = Date.now();
    const events = await finished(runId);
    expect(runStatus(events)).toBe('succeeded');

    const first = eventsOf(events, 'task.started').find(
      (event) => event.sandboxId === 'late-2',
    );
    const tookMs = (first?.at ?? Number.POSITIVE_INFINITY) - ready;
    process.stdout.write(
      `added sandbox: started in ${ready - before} ms, first task ${tookMs} ms after\n`,
    );
    expect(tookMs).toBeLessThan(1_000);
  }, 120_000);
});
