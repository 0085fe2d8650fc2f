import type { KV } from '@nats-io/kv';
import {
  Buckets,
  decode,
  encode,
  type LogChunk,
  type LogIndexEntry,
  SCHEMA_VERSION,
  Streams,
  Subjects,
} from '@river/protocol';
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
import { river } from '../helpers/river.js';

const TASKS = 6;
const LINES = 800;
const KILLS = 4;
/** Time between two kills of the log-collector. */
const KILL_EVERY_MS = 1_000;

let nats: TestNatsCluster;
let services: TestServices;
let connection: RiverConnection;
let client: RiverClient;

beforeAll(async () => {
  nats = await startNatsCluster({ size: 1 });
  services = await startServices(nats.url, {
    RIVER_SLOTS: String(TASKS),
    RIVER_JOB_STALL_MS: '5000',
  });
  connection = await connectRiver({ servers: nats.url, name: 'faults-test' });
  client = await RiverClient.connect({ servers: nats.url });
});

afterAll(async () => {
  await client?.close();
  await connection?.nc.close();
  await services?.stop();
  await nats?.dispose();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Kills the running log-collector with SIGKILL and starts a new one. */
async function killCollector(): Promise<void> {
  const { child } = services.find('log-collector');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  await services.start('log-collector');
}

/** Polls `read` until `done` holds, for at most `timeoutMs`. */
async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) {
      return value;
    }
    await sleep(250);
  }
}

async function indexEntry(
  kv: KV,
  key: string,
): Promise<LogIndexEntry | undefined> {
  const found = await kv.get(key);
  return found?.operation === 'PUT'
    ? decode('logIndexEntry', key, found.value)
    : undefined;
}

/** Chunks stored in the logs stream for one task. */
async function storedChunkCount(runId: string, taskId: string) {
  const subject = Subjects.logChunk(runId, taskId);
  const info = await connection.jsm.streams.info(Streams.logs, {
    subjects_filter: subject,
  });
  return info.state.subjects?.[subject] ?? 0;
}

/** The lines a numbered-logs task prints, sorted as the test sorts. */
function expectedLines(task: number): string[] {
  return Array.from(
    { length: LINES },
    (_, i) => `task ${task} line ${i + 1}`,
  ).sort();
}

describe('a log-collector killed with SIGKILL mid-run', () => {
  it('loses no chunk, stores none twice and reports no gap', async () => {
    const { runId } = await client.submit(
      'tests/fixtures/nats-numbered-logs.ts',
      { params: { tasks: String(TASKS), lines: String(LINES) } },
    );
    const kills: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      await sleep(KILL_EVERY_MS);
      kills.push(Date.now());
      await killCollector();
    }
    const history = await runHistory(connection, runId, 120_000);

    expect(eventsOf(history, 'run.finished')[0]?.status).toBe('succeeded');
    const counts = finishCounts(history);
    expect([...counts.values()]).toEqual(Array(TASKS).fill(1));
    // Every kill came while the tasks were printing.
    const started = eventsOf(history, 'task.started').map((e) => e.at);
    const finished = eventsOf(history, 'task.finished').map((e) => e.at);
    expect(Math.min(...started)).toBeLessThan(kills[0] ?? 0);
    expect(Math.min(...finished)).toBeGreaterThan(kills.at(-1) ?? 0);

    const kv = await connection.kvm.open(Buckets.logIndex);
    for (const taskId of counts.keys()) {
      const chunks = [];
      for await (const chunk of client.logs(runId, { taskId })) {
        chunks.push(chunk);
      }
      const text = Buffer.concat(chunks.map((chunk) => chunk.data)).toString();
      const lines = text.split('\n').filter((line) => line !== '');
      const task = Number(/^task (\d+) /.exec(lines[0] ?? '')?.[1]);
      expect(lines.sort(), taskId).toEqual(expectedLines(task));

      const seqs = chunks.map((chunk) => chunk.seq);
      expect(seqs).toEqual(seqs.map((_, index) => index));
      expect(await storedChunkCount(runId, taskId)).toBe(chunks.length);

      // The index catches up once the chunk a killed collector held has
      // come back, and counts every chunk once.
      const entry = await waitFor(
        () => indexEntry(kv, `${runId}.${taskId}.1`),
        (found) => found?.complete === true,
      );
      expect(entry).toMatchObject({
        chunks: chunks.length,
        bytes: Buffer.byteLength(text),
        nextSeq: chunks.length,
        missing: [],
        complete: true,
      });
    }

    const [first] = counts.keys();
    const printed = await river(['logs', runId, first ?? ''], nats.url);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout.split('\n').filter(Boolean).sort()).toHaveLength(
      LINES,
    );
    const events = await storedRunEvents(connection, runId);
    expect(eventsOf(events, 'task.log-gap')).toEqual([]);
  });
});

describe('chunks that skip sequences', () => {
  it('produce one task.log-gap event, however often they come', async () => {
    const runId = 'run-direct-gap';
    const chunk = (seq: number, last = false): LogChunk => ({
      schema: SCHEMA_VERSION,
      runId,
      taskId: 'write-1',
      attempt: 1,
      seq,
      stream: 'stdout',
      data: new TextEncoder().encode(`chunk ${seq}\n`),
      last,
    });
    const subject = Subjects.logChunk(runId, 'write-1');
    for (const item of [chunk(0), chunk(1), chunk(4), chunk(6, true)]) {
      await connection.js.publish(subject, encode('logChunk', item));
    }
    // A sandbox that repeats itself past the duplicate window stores a
    // chunk twice: no id, so JetStream keeps both copies.
    await connection.js.publish(subject, encode('logChunk', chunk(4)));

    const kv = await connection.kvm.open(Buckets.logIndex);
    const entry = await waitFor(
      () => indexEntry(kv, `${runId}.write-1.1`),
      (found) => found?.complete === true,
    );
    expect(entry).toMatchObject({
      chunks: 4,
      nextSeq: 7,
      missing: [2, 3, 5],
      complete: true,
    });
    const gaps = await waitFor(
      async () =>
        eventsOf(await storedRunEvents(connection, runId), 'task.log-gap'),
      (found) => found.length >= 2,
    );
    expect(
      gaps.map(({ taskId, attempt, fromSeq, toSeq }) => ({
        taskId,
        attempt,
        fromSeq,
        toSeq,
      })),
    ).toEqual([
      { taskId: 'write-1', attempt: 1, fromSeq: 2, toSeq: 3 },
      { taskId: 'write-1', attempt: 1, fromSeq: 5, toSeq: 5 },
    ]);

    // The collector comes back after a crash and sees nothing new.
    await killCollector();
    await sleep(1_000);
    expect(
      eventsOf(await storedRunEvents(connection, runId), 'task.log-gap'),
    ).toHaveLength(2);
    expect(await indexEntry(kv, `${runId}.write-1.1`)).toEqual(entry);
  });
});
