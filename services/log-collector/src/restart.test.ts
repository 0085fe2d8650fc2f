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
  readAllPages,
} from '../test/helpers.js';
import { type LogCollector, startLogCollector } from './log-collector.js';

let server: TestNatsServer;
let river: RiverConnection;
let collector: LogCollector;
const { log } = captureLogger();

function start() {
  return startLogCollector(
    {
      natsUrl: server.url,
      logLevel: 'debug',
      retentionDays: 1,
      streamReplicas: 1,
    },
    { log },
  );
}

beforeAll(async () => {
  server = await startNatsServer();
  collector = await start();
  river = await connectRiver({ servers: server.url, name: 'restart-test' });
});

afterAll(async () => {
  await collector?.close();
  await river?.nc.close();
  await server?.dispose();
});

describe('log-collector across restarts', () => {
  it('serves the whole log after the nats-server and the collector restart', async () => {
    const chunks = Array.from({ length: 20 }, (_, seq) =>
      chunk('run-durable', 'task-0', seq, binaryData(10_000 + seq, seq), {
        last: seq === 19,
        stream: seq % 3 === 0 ? 'stderr' : 'stdout',
      }),
    );
    const key = 'run-durable.task-0.1';

    await publishChunks(river, chunks.slice(0, 10));
    expect(
      await indexEntryWhen(river, key, (entry) => entry.chunks === 10),
    ).toMatchObject({ chunks: 10, nextSeq: 10, complete: false });

    // The collector stays up and reconnects by itself.
    await server.stop();
    await server.restart();
    await publishChunks(river, chunks.slice(10));
    const indexed = await indexEntryWhen(river, key, (e) => e.complete);
    expect(indexed).toMatchObject({ chunks: 20, nextSeq: 20, missing: [] });

    // Then everything goes down, and a new collector reads the store.
    await collector.close();
    await server.stop();
    await server.restart();
    collector = await start();
    // The test's own connection reconnects on its own schedule.
    await eventually(() => river.nc.flush());

    const pages = await readAllPages(river.nc, {
      runId: 'run-durable',
      taskId: 'task-0',
      maxBytes: 64 * 1024,
    });
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.every((page) => page.error === undefined)).toBe(true);
    const served = pages.flatMap((page) => page.chunks);
    expect(served.map((c) => c.seq)).toEqual(chunks.map((c) => c.seq));
    expect(served.map((c) => c.stream)).toEqual(chunks.map((c) => c.stream));
    expect(fingerprint(joined(pages))).toBe(
      fingerprint(Buffer.concat(chunks.map((c) => c.data))),
    );
    expect(await indexEntryWhen(river, key, () => true)).toEqual(indexed);
  });
});
