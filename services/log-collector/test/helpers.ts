import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  Buckets,
  decode,
  encode,
  type LogChunk,
  type LogIndexEntry,
  type LogQuery,
  type LogQueryReply,
  type LogStream,
  type RunEventOf,
  type RunEventType,
  SCHEMA_VERSION,
  Streams,
  Subjects,
} from '@river/protocol';
import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { type Logger, pino } from 'pino';
import {
  startNatsServer,
  type TestNatsServer,
} from '../../../tests/helpers/nats-server.js';
import { type LogCollector, startLogCollector } from '../src/log-collector.js';

const WAIT_MS = 10_000;

/** A pino logger whose lines the test can read back. */
export function captureLogger(): {
  log: Logger;
  lines: Array<Record<string, unknown>>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(line, _encoding, done) {
      lines.push(JSON.parse(String(line)));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

/** A nats-server, a collector on it and the test's own connection. */
export interface CollectorStack {
  server: TestNatsServer;
  collector: LogCollector;
  river: RiverConnection;
  /** The collector's logger. */
  log: Logger;
  stop(): Promise<void>;
}

/**
 * Starts a nats-server on a free port, a log-collector logging into a
 * captured logger at `warn`, and a connection named `name`.
 */
export async function startCollectorStack(
  name: string,
): Promise<CollectorStack> {
  const server = await startNatsServer();
  const { log } = captureLogger();
  const collector = await startLogCollector(
    {
      natsUrl: server.url,
      logLevel: 'warn',
      retentionDays: 1,
      streamReplicas: 1,
    },
    { log },
  );
  const river = await connectRiver({ servers: server.url, name });
  return {
    server,
    collector,
    river,
    log,
    async stop() {
      await collector.close();
      await river.nc.close();
      await server.dispose();
    },
  };
}

/** A chunk of attempt 1 of `taskId`. */
export function chunk(
  runId: string,
  taskId: string,
  seq: number,
  data: Uint8Array,
  options: { last?: boolean; stream?: LogStream; attempt?: number } = {},
): LogChunk {
  return {
    schema: SCHEMA_VERSION,
    runId,
    taskId,
    attempt: options.attempt ?? 1,
    seq,
    stream: options.stream ?? 'stdout',
    data,
    last: options.last ?? false,
  };
}

/** Publishes chunks as a sandbox would, retrying while the server is away. */
export async function publishChunks(
  river: RiverConnection,
  chunks: readonly LogChunk[],
): Promise<void> {
  for (const item of chunks) {
    const subject = Subjects.logChunk(item.runId, item.taskId);
    await eventually(async () => {
      await river.js.publish(subject, encode('logChunk', item));
      return true;
    });
  }
}

/** Sends a query and decodes the reply. */
export async function queryLogs(
  nc: NatsConnection,
  query: Omit<LogQuery, 'schema'>,
): Promise<LogQueryReply> {
  const msg = await nc.request(
    Subjects.logQuery,
    encode('logQuery', { schema: SCHEMA_VERSION, ...query }),
    { timeout: 5_000 },
  );
  return decode('logQueryReply', msg.subject, msg.data);
}

/** Follows `next` until the last page; returns every page. */
export async function readAllPages(
  nc: NatsConnection,
  query: Omit<LogQuery, 'schema' | 'after'>,
): Promise<LogQueryReply[]> {
  const pages: LogQueryReply[] = [];
  let after: number | undefined;
  do {
    const page = await queryLogs(nc, {
      ...query,
      ...(after === undefined ? {} : { after }),
    });
    pages.push(page);
    after = page.next;
  } while (after !== undefined && pages.length < 1_000);
  return pages;
}

/**
 * Length and SHA-256 of bytes, to compare large logs quickly (a deep equal
 * of half a megabyte takes seconds).
 */
export function fingerprint(bytes: Uint8Array): string {
  const hash = createHash('sha256').update(bytes).digest('hex');
  return `${bytes.length} bytes, sha256 ${hash}`;
}

/** The chunk data of pages, joined. */
export function joined(pages: readonly LogQueryReply[]): Buffer {
  return Buffer.concat(
    pages.flatMap((page) => page.chunks.map((item) => item.data)),
  );
}

/** Reads an attempt's index entry, or `undefined`. */
export async function indexEntry(
  river: RiverConnection,
  key: string,
): Promise<LogIndexEntry | undefined> {
  const kv: KV = await river.kvm.open(Buckets.logIndex);
  const found = await kv.get(key);
  if (found === null || found.operation !== 'PUT') {
    return undefined;
  }
  return decode('logIndexEntry', key, found.value);
}

/** Waits for an attempt's entry to satisfy `done`, and returns it. */
export function indexEntryWhen(
  river: RiverConnection,
  key: string,
  done: (entry: LogIndexEntry) => boolean,
): Promise<LogIndexEntry | undefined> {
  return eventually(
    () => indexEntry(river, key).catch(() => undefined),
    (entry) => entry !== undefined && done(entry),
  );
}

/** Polls `read` until `done` holds or time is up; returns the last value. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean = () => true,
): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const value = await read();
      if (done(value) || Date.now() > deadline) {
        return value;
      }
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `length` bytes that are not valid UTF-8, different for each `seed`. */
export function binaryData(length: number, seed: number): Uint8Array {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    data[i] = (i * 131 + seed * 17 + 0x80) & 0xff;
  }
  return data;
}

/** The run's stored events of one type, in order. */
export async function storedEvents<K extends RunEventType>(
  river: RiverConnection,
  runId: string,
  type: K,
): Promise<Array<RunEventOf<K>>> {
  const subject = Subjects.event(runId, type);
  const info = await river.jsm.streams.info(Streams.events, {
    subjects_filter: subject,
  });
  const count = info.state.subjects?.[subject] ?? 0;
  if (count === 0) {
    return [];
  }
  const consumer = await river.js.consumers.get(Streams.events, {
    filter_subjects: subject,
  });
  const events: Array<RunEventOf<K>> = [];
  try {
    const batch = await consumer.fetch({ max_messages: count });
    for await (const msg of batch) {
      events.push(decode('event', msg.subject, msg.data) as RunEventOf<K>);
      if (msg.info.pending === 0) {
        break;
      }
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
  return events;
}
