import { Buckets, Consumers, Streams } from '@river/protocol';
import {
  type ConsumeLoop,
  connectRiver,
  consumeMessages,
  createServiceLogger,
  ensureDurable,
  type Logger,
  natsCredentialsOf,
  type RiverConnection,
  requireStreams,
  runShutdown,
} from '@river/protocol/internal';
import { createChunkHandler } from './chunks.js';
import type { LogCollectorConfig } from './config.js';
import { LogIndexStore } from './index-store.js';
import { serveLogQueries } from './query-server.js';
import { StreamReader } from './stream-reader.js';

/**
 * How long a delivered chunk may stay unacknowledged. The consumer hands
 * out one chunk at a time, so after a collector dies, indexing waits this
 * long for the chunk it held to come back.
 */
const ACK_WAIT_MS = 10_000;
const DAY_MS = 24 * 60 * 60 * 1_000;

/** A running log-collector. */
export interface LogCollector {
  /** Stops indexing and answering, finishes work in hand, disconnects. */
  close(): Promise<void>;
}

/** Options of {@link startLogCollector}. */
export interface LogCollectorOptions {
  /** The logger to use; a pino logger on stdout by default. */
  log?: Logger;
}

/**
 * Connects to NATS, makes sure River's streams, the collector's durable
 * consumer and the log index bucket exist, then indexes every log chunk
 * and answers log queries until closed.
 *
 * @throws ServerUnsupportedError when the server lacks a feature or
 *   setting River relies on; any connection error when no server answers.
 *
 * @example
 * ```ts
 * const collector = await startLogCollector(loadLogCollectorConfig());
 * process.once('SIGTERM', () => void collector.close());
 * ```
 */
export async function startLogCollector(
  config: LogCollectorConfig,
  options: LogCollectorOptions = {},
): Promise<LogCollector> {
  const log =
    options.log ?? createServiceLogger('log-collector', config.logLevel);
  const connection = await connectRiver({
    servers: config.natsUrl,
    name: 'river-log-collector',
    credentials: natsCredentialsOf(config),
  });

  let store: LogIndexStore;
  try {
    store = await prepare(connection, config, log);
  } catch (error) {
    await connection.nc.close();
    throw error;
  }

  const reader = new StreamReader(connection.nc);
  // One chunk in flight, over all replicas, keeps each attempt's chunks in
  // stream order, so a gap is reported only when a chunk really is missing.
  const indexing: ConsumeLoop = consumeMessages({
    js: connection.js,
    stream: Streams.logs,
    consumer: Consumers.logCollector,
    kind: 'logChunk',
    concurrency: 1,
    log,
    handle: createChunkHandler({ js: connection.js, reader, store, log }),
  });
  const queries = serveLogQueries(connection.nc, reader, store, log);
  // Once the server has the subscription, the collector can be asked.
  await connection.nc.flush();
  log.info({ server: connection.nc.getServer() }, 'Log-collector started');

  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= runShutdown(log, [
        ['stop answering queries', () => queries.stop()],
        ['stop indexing', () => indexing.stop()],
        ['drain connection', () => connection.nc.drain()],
      ]).then(() => log.info('Log-collector stopped'));
      return closing;
    },
  };
}

async function prepare(
  connection: RiverConnection,
  config: LogCollectorConfig,
  log: Logger,
): Promise<LogIndexStore> {
  const { jsm, kvm } = connection;
  await requireStreams(
    jsm,
    [Streams.logs, Streams.events],
    config.retentionDays,
    config.streamReplicas,
  );
  // With one chunk unacknowledged at most, the server delivers the next
  // only once the last is done, and gives a chunk whose collector died
  // back before any later one: chunks are counted in stream order.
  await ensureDurable(jsm, {
    stream: Streams.logs,
    name: Consumers.logCollector,
    ackWaitMs: ACK_WAIT_MS,
    maxAckPending: 1,
  });
  // Index entries expire with the chunks they describe.
  const kv = await kvm.create(Buckets.logIndex, {
    history: 1,
    ttl: config.retentionDays * DAY_MS,
    replicas: config.streamReplicas,
  });
  await warnOfOtherRetention(jsm, config.retentionDays, log);
  return new LogIndexStore(kv);
}

/**
 * Streams that another service or `river dev` created first keep the
 * retention they were created with; the collector cannot change them
 * (its NATS user may not), so it says so.
 */
async function warnOfOtherRetention(
  jsm: RiverConnection['jsm'],
  retentionDays: number,
  log: Logger,
): Promise<void> {
  for (const stream of [Streams.logs, `KV_${Buckets.logIndex}`]) {
    const maxAgeNanos = (await jsm.streams.info(stream)).config.max_age;
    const keptDays = maxAgeNanos / (DAY_MS * 1_000_000);
    if (keptDays !== retentionDays) {
      log.warn(
        { stream, keptDays, retentionDays },
        'Stream keeps logs for other than RIVER_RETENTION_DAYS; ' +
          'it was created before with other settings',
      );
    }
  }
}
