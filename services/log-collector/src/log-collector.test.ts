import type { JsMsg } from '@nats-io/jetstream';
import {
  Buckets,
  decode,
  encode,
  type LogQuery,
  SCHEMA_VERSION,
  Subjects,
} from '@river/protocol';
import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
} from '../../../tests/helpers/nats-server.js';
import {
  binaryData,
  captureLogger,
  chunk,
  eventually,
  fingerprint,
  indexEntryWhen,
  joined,
  publishChunks,
  queryLogs,
  readAllPages,
  storedEvents,
} from '../test/helpers.js';
import { createChunkHandler } from './chunks.js';
import { LogIndexStore } from './index-store.js';
import { type LogCollector, startLogCollector } from './log-collector.js';
import { applyChunk, emptyLogIndexEntry } from './log-index.js';
import { MAX_PAGE_BYTES, readLogPage } from './log-page.js';
import { StreamReader } from './stream-reader.js';

let server: TestNatsServer;
let river: RiverConnection;
let collector: LogCollector;
const { log, lines } = captureLogger();

beforeAll(async () => {
  server = await startNatsServer();
  collector = await startLogCollector(
    {
      natsUrl: server.url,
      logLevel: 'debug',
      retentionDays: 1,
      streamReplicas: 1,
    },
    { log },
  );
  river = await connectRiver({ servers: server.url, name: 'collector-test' });
});

afterAll(async () => {
  await collector?.close();
  await river?.nc.close();
  await server?.dispose();
});

describe('log-collector', () => {
  it('serves chunks in stream order and byte-exact, non-UTF-8 bytes included', async () => {
    const invalidUtf8 = new Uint8Array([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80]);
    const stderr = new TextEncoder().encode('warning: é\n');
    await publishChunks(river, [
      chunk('run-bytes', 'compile-0', 0, invalidUtf8),
      chunk('run-bytes', 'compile-0', 1, stderr, { stream: 'stderr' }),
      chunk('run-bytes', 'link-0', 0, binaryData(1_000, 1)),
      chunk('run-bytes', 'compile-0', 2, binaryData(3_000, 2), {
        last: true,
      }),
    ]);

    const task = await queryLogs(river.nc, {
      runId: 'run-bytes',
      taskId: 'compile-0',
    });
    expect(task.error).toBeUndefined();
    expect(task.next).toBeUndefined();
    expect(task.chunks.map((c) => [c.taskId, c.seq, c.stream])).toEqual([
      ['compile-0', 0, 'stdout'],
      ['compile-0', 1, 'stderr'],
      ['compile-0', 2, 'stdout'],
    ]);
    expect(Buffer.from(task.chunks[0]?.data ?? [])).toEqual(
      Buffer.from(invalidUtf8),
    );
    expect(joined([task])).toEqual(
      Buffer.concat([invalidUtf8, stderr, binaryData(3_000, 2)]),
    );

    const run = await queryLogs(river.nc, { runId: 'run-bytes' });
    expect(run.chunks.map((c) => `${c.taskId}:${c.seq}`)).toEqual([
      'compile-0:0',
      'compile-0:1',
      'link-0:0',
      'compile-0:2',
    ]);
  });

  it('pages with next until the last page, which has none', async () => {
    const chunks = Array.from({ length: 12 }, (_, seq) =>
      chunk('run-pages', 'test-0', seq, binaryData(50_000, seq), {
        last: seq === 11,
      }),
    );
    await publishChunks(river, chunks);
    const expected = Buffer.concat(chunks.map((c) => c.data));

    const pages = await readAllPages(river.nc, {
      runId: 'run-pages',
      taskId: 'test-0',
      maxBytes: 120_000,
    });
    expect(pages.map((page) => page.chunks.length)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(pages.slice(0, -1).every((page) => page.next !== undefined)).toBe(
      true,
    );
    expect(pages.at(-1)?.next).toBeUndefined();
    expect(fingerprint(joined(pages))).toBe(fingerprint(expected));

    const byDefault = await readAllPages(river.nc, { runId: 'run-pages' });
    expect(byDefault.map((page) => page.chunks.length)).toEqual([5, 5, 2]);
    expect(fingerprint(joined(byDefault))).toBe(fingerprint(expected));

    const capped = await queryLogs(river.nc, {
      runId: 'run-pages',
      maxBytes: 10_000_000,
    });
    expect(capped.chunks).toHaveLength(10);
    expect(joined([capped]).length).toBeLessThanOrEqual(MAX_PAGE_BYTES);
  });

  it('serves the same pages chunk by chunk when no consumer can be had', async () => {
    // What a cluster with a server down does to a third of new consumers.
    class NoConsumers extends StreamReader {
      override openConsumer(): Promise<never> {
        return Promise.reject(new Error('timeout'));
      }
    }
    const reader = new NoConsumers(river.nc);
    const query: LogQuery = {
      schema: SCHEMA_VERSION,
      runId: 'run-pages',
      taskId: 'test-0',
      maxBytes: 120_000,
    };
    const pages = [];
    let after: number | undefined;
    do {
      const page = await readLogPage(
        reader,
        { ...query, ...(after === undefined ? {} : { after }) },
        log,
      );
      pages.push(page);
      after = page.next;
    } while (after !== undefined);

    const viaConsumers = await readAllPages(river.nc, query);
    expect(pages.map((page) => page.chunks)).toEqual(
      viaConsumers.map((page) => page.chunks),
    );
    expect(pages.map((page) => page.next)).toEqual(
      viaConsumers.map((page) => page.next),
    );
    expect(
      await readLogPage(reader, { ...query, runId: 'run-silent' }, log),
    ).toEqual({ chunks: [] });
  });

  it('returns an empty last page for a run with no logs', async () => {
    expect(await queryLogs(river.nc, { runId: 'run-silent' })).toEqual({
      schema: 1,
      chunks: [],
    });
    expect(
      await queryLogs(river.nc, { runId: 'run-bytes', after: 1_000_000 }),
    ).toEqual({ schema: 1, chunks: [] });
  });

  it('records a gap in the index and fills it when the chunk arrives late', async () => {
    const data = new Uint8Array([1, 2, 3]);
    await publishChunks(river, [
      chunk('run-gap', 'task-0', 0, data),
      chunk('run-gap', 'task-0', 1, data),
      chunk('run-gap', 'task-0', 4, data),
      chunk('run-gap', 'task-0', 5, data, { last: true }),
    ]);

    const withGap = await indexEntryWhen(
      river,
      'run-gap.task-0.1',
      (e) => e.complete,
    );
    expect(withGap).toEqual({
      schema: 1,
      runId: 'run-gap',
      taskId: 'task-0',
      attempt: 1,
      chunks: 4,
      bytes: 12,
      nextSeq: 6,
      missing: [2, 3],
      complete: true,
      streamBytes: { stdout: 12, stderr: 0 },
      marks: [{ stream: 'stdout', streamSeq: expect.any(Number), offset: 0 }],
      lines: 0,
      openLine: true,
      lineMarks: [{ streamSeq: expect.any(Number), line: 0 }],
    });
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'Log chunks are missing before this one',
        runId: 'run-gap',
        taskId: 'task-0',
        attempt: 1,
        seq: 4,
        missingFrom: 2,
        missingCount: 2,
        subject: Subjects.logChunk('run-gap', 'task-0'),
      }),
    );

    const gaps = await eventually(
      () => storedEvents(river, 'run-gap', 'task.log-gap'),
      (events) => events.length > 0,
    );
    expect(gaps).toEqual([
      expect.objectContaining({
        type: 'task.log-gap',
        runId: 'run-gap',
        taskId: 'task-0',
        attempt: 1,
        fromSeq: 2,
        toSeq: 3,
      }),
    ]);

    await publishChunks(river, [chunk('run-gap', 'task-0', 3, data)]);
    const filled = await indexEntryWhen(
      river,
      'run-gap.task-0.1',
      (e) => e.chunks === 5,
    );
    expect(filled).toMatchObject({ chunks: 5, bytes: 15, missing: [2] });
    expect(await storedEvents(river, 'run-gap', 'task.log-gap')).toHaveLength(
      1,
    );
  });

  it('reports a gap once when the chunk that found it comes back', async () => {
    const kv = await river.kvm.open(Buckets.logIndex);
    const handle = createChunkHandler({
      js: river.js,
      reader: new StreamReader(river.nc),
      store: new LogIndexStore(kv),
      log,
    });
    const delivery = (redelivered: boolean) =>
      ({
        redelivered,
        subject: 'test',
        info: { streamSequence: 1 },
      }) as unknown as JsMsg;
    const at = (seq: number) =>
      chunk('run-regap', 'task-0', seq, new Uint8Array([seq]));
    const gapEvents = () => storedEvents(river, 'run-regap', 'task.log-gap');

    // Chunks 0, 1 and 4 were counted, but the collector died before it
    // published the gap that chunk 4 found; the chunks never reached this
    // test's stream, so only the handler sees them.
    let entry = emptyLogIndexEntry(at(0));
    for (const seq of [0, 1, 4]) {
      entry = applyChunk(entry, at(seq)).entry;
    }
    await kv.put('run-regap.task-0.1', encode('logIndexEntry', entry));

    await handle(at(4), delivery(false));
    expect(await gapEvents()).toEqual([]);
    await handle(at(4), delivery(true));
    await handle(at(4), delivery(true));
    expect(await gapEvents()).toEqual([
      expect.objectContaining({ taskId: 'task-0', fromSeq: 2, toSeq: 3 }),
    ]);

    // Chunk 3 came late and was counted; when it comes back, the gap just
    // below it (chunk 2) was reported already.
    await handle(at(3), delivery(false));
    await handle(at(3), delivery(true));
    expect(await gapEvents()).toHaveLength(1);
    expect(
      await indexEntryWhen(river, 'run-regap.task-0.1', () => true),
    ).toMatchObject({ chunks: 4, nextSeq: 5, missing: [2] });
  });

  it('never counts a duplicate chunk twice', async () => {
    const first = chunk('run-dup', 'task-0', 0, new Uint8Array(100));
    const second = chunk('run-dup', 'task-0', 1, new Uint8Array(50), {
      last: true,
    });
    await publishChunks(river, [first, first, second, first]);

    const entry = await indexEntryWhen(
      river,
      'run-dup.task-0.1',
      (e) => e.complete,
    );
    await eventually(
      async () =>
        lines.filter(
          (l) =>
            l.msg === 'Ignored repeated log chunk' && l.runId === 'run-dup',
        ).length,
      (count) => count === 2,
    );
    const settled = await indexEntryWhen(river, 'run-dup.task-0.1', () => true);
    expect(settled).toEqual(entry);
    expect(settled).toMatchObject({
      chunks: 2,
      bytes: 150,
      nextSeq: 2,
      missing: [],
    });

    // Both copies sit in the same page, which returns the chunk once.
    const page = await queryLogs(river.nc, { runId: 'run-dup' });
    expect(page.chunks.map((c) => c.seq)).toEqual([0, 1]);
  });

  it('acks a malformed chunk and still indexes the next one', async () => {
    const subject = Subjects.logChunk('run-junk', 'task-0');
    await river.js.publish(subject, new Uint8Array([0xc1]));
    await publishChunks(river, [
      chunk('run-junk', 'task-0', 0, new Uint8Array([7]), { last: true }),
    ]);

    const entry = await indexEntryWhen(
      river,
      'run-junk.task-0.1',
      (e) => e.complete,
    );
    expect(entry).toMatchObject({ chunks: 1, bytes: 1 });
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'Rejected malformed message',
        subject,
        field: '',
      }),
    );
    const page = await queryLogs(river.nc, { runId: 'run-junk' });
    expect(page.chunks.map((c) => [...c.data])).toEqual([[7]]);
  });

  it('answers a malformed query with an error that names the field', async () => {
    const badToken = await queryLogs(river.nc, { runId: 'run bytes>' });
    expect(badToken.chunks).toEqual([]);
    expect(badToken.error).toMatch(/\/runId/);

    const badAfter = await queryLogs(river.nc, {
      runId: 'run-bytes',
      after: -1,
    });
    expect(badAfter.error).toMatch(/\/after/);

    const reply = await river.nc.request(
      Subjects.logQuery,
      new Uint8Array([0x91, 0x01]),
      { timeout: 5_000 },
    );
    expect(decode('logQueryReply', reply.subject, reply.data).error).toMatch(
      /is not a map/,
    );

    const good = await queryLogs(river.nc, {
      runId: 'run-bytes',
      taskId: 'link-0',
    });
    expect(good.error).toBeUndefined();
    expect(good.chunks).toHaveLength(1);
  });
});
