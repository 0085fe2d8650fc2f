import {
  decode,
  encode,
  type LogQuery,
  type LogQueryReply,
  type LogStream,
  type LogUsage,
  SCHEMA_VERSION,
  type StoredLogChunk,
  Streams,
  Subjects,
} from '@river/protocol';
import type { RiverConnection } from '@river/protocol/internal';
import { RiverError, RiverErrorCode } from '../authoring/errors.js';

/**
 * How long a follower's query waits at the log-collector for the next
 * chunk: one request every two seconds while a run is quiet, answered as
 * soon as output arrives, and a finished run noticed within that time.
 */
const LOG_FOLLOW_WAIT_MS = 2_000;

/** A pause between passes when a collector answered without waiting. */
const LOG_FOLLOW_POLL_MS = 500;

/** How long a log query waits for the log-collector's answer. */
const LOG_QUERY_TIMEOUT_MS = 10_000;

/** Options of {@link RiverClient.logs}. */
export interface LogOptions {
  /** Only this task's log. */
  taskId?: string;
  /** Keep waiting for new output until the run has finished. */
  follow?: boolean;
  /** Only this output. */
  stream?: LogStream;
  /** Only this attempt of each task. */
  attempt?: number;
  /** Only chunks stored at or after this time (ms since the epoch). */
  since?: number;
}

/** Options of {@link RiverClient.logRange}. */
export interface LogRangeOptions {
  /** The first byte, 0 for the output's start. */
  offset: number;
  /** How many bytes, at most 512 KiB a call. */
  length: number;
  /** Which output; stdout unless given. */
  stream?: LogStream;
  /** Which attempt; the task's last unless given. */
  attempt?: number;
}

/** Bytes of one attempt's output, as {@link RiverClient.logRange} reads. */
export interface LogRange {
  /** The bytes stored in the range, as the task wrote them. */
  data: Uint8Array;
  /** Where `data` starts in the output. */
  offset: number;
  /** Bytes of the output stored so far. */
  size: number;
  /** The attempt read; absent when the task has no log. */
  attempt?: number;
  /** Whether the attempt has finished writing its output. */
  complete: boolean;
}

/**
 * How long a run without events may take to get its first: a run just
 * submitted has none until a controller has taken its submission.
 */
const RUN_APPEAR_WAIT_MS = 2_000;
/** How often a run's first event is looked for meanwhile. */
const RUN_APPEAR_POLL_MS = 200;

/** Throws a clear error when the server has no event of the run. */
export async function requireRun(
  connection: RiverConnection,
  runId: string,
): Promise<void> {
  const deadline = Date.now() + RUN_APPEAR_WAIT_MS;
  for (;;) {
    const info = await connection.jsm.streams.info(Streams.events, {
      subjects_filter: Subjects.runEvents(runId),
    });
    if (Object.keys(info.state.subjects ?? {}).length > 0) {
      return;
    }
    if (Date.now() >= deadline) {
      throw new RiverError(
        RiverErrorCode.notFound,
        `Run ${runId} has no events on this server: check the run id and ` +
          'NATS_URL.',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, RUN_APPEAR_POLL_MS));
  }
}

async function runFinished(
  connection: RiverConnection,
  runId: string,
): Promise<boolean> {
  const info = await connection.jsm.streams.info(Streams.events, {
    subjects_filter: Subjects.event(runId, 'run.finished'),
  });
  return Object.keys(info.state.subjects ?? {}).length > 0;
}

/** Asks the log-collector; its refusal becomes a RiverError. */
export async function queryLogs(
  connection: RiverConnection,
  query: Omit<LogQuery, 'schema'>,
): Promise<LogQueryReply> {
  let reply: LogQueryReply;
  try {
    const msg = await connection.nc.request(
      Subjects.logQuery,
      encode('logQuery', { schema: SCHEMA_VERSION, ...query }),
      { timeout: LOG_QUERY_TIMEOUT_MS },
    );
    reply = decode('logQueryReply', msg.subject, msg.data);
  } catch (error) {
    throw new RiverError(
      RiverErrorCode.connection,
      `No log-collector answered on ${Subjects.logQuery}: ` +
        `${(error as Error).message}. Is river-log-collector running?`,
      error,
    );
  }
  if (reply.error !== undefined) {
    throw new RiverError(RiverErrorCode.notFound, reply.error);
  }
  return reply;
}

/**
 * A run's stored chunks in order; with `follow`, then the new ones as they
 * are stored, each query waiting at the collector, until the run ends.
 *
 * @throws RiverError when the run has no events, or no collector answers.
 */
export async function* readLogs(
  connection: RiverConnection,
  runId: string,
  options: LogOptions = {},
): AsyncGenerator<StoredLogChunk> {
  await requireRun(connection, runId);
  const follow = options.follow === true;
  const filters = {
    ...(options.taskId === undefined ? {} : { taskId: options.taskId }),
    ...(options.stream === undefined ? {} : { stream: options.stream }),
    ...(options.attempt === undefined ? {} : { attempt: options.attempt }),
    ...(options.since === undefined ? {} : { since: options.since }),
  };
  let after: number | undefined;
  let caughtUp = false;

  for (;;) {
    const finishedBefore = follow && (await runFinished(connection, runId));
    const passStarted = Date.now();
    let yielded = false;
    let more = true;
    while (more) {
      const wait = follow && caughtUp && !finishedBefore && !yielded;
      const reply = await queryLogs(connection, {
        runId,
        ...filters,
        ...(after === undefined ? {} : { after }),
        ...(wait ? { waitMs: LOG_FOLLOW_WAIT_MS } : {}),
      });
      yield* reply.chunks;
      yielded ||= reply.chunks.length > 0;
      after = reply.next ?? reply.cursor ?? after;
      more = reply.next !== undefined;
    }
    caughtUp = true;
    // A run that had finished before this pass began has nothing left
    // to store.
    if (!follow || finishedBefore) {
      return;
    }
    // A collector that does not wait answers at once: pause instead.
    if (!yielded && Date.now() - passStarted < LOG_FOLLOW_POLL_MS / 2) {
      await new Promise((resolve) => setTimeout(resolve, LOG_FOLLOW_POLL_MS));
    }
  }
}

/**
 * Bytes `offset` to `offset + length` of one attempt's output, which the
 * collector finds through its index without reading the log before them.
 *
 * @throws RiverError when the run has no events, or no collector answers.
 */
export async function readLogRange(
  connection: RiverConnection,
  runId: string,
  taskId: string,
  options: LogRangeOptions,
): Promise<LogRange> {
  await requireRun(connection, runId);
  const reply = await queryLogs(connection, {
    runId,
    taskId,
    offset: options.offset,
    length: options.length,
    ...(options.stream === undefined ? {} : { stream: options.stream }),
    ...(options.attempt === undefined ? {} : { attempt: options.attempt }),
  });
  const parts = reply.chunks.map((chunk) => chunk.data);
  const data = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    data.set(part, at);
    at += part.length;
  }
  return {
    data,
    offset: reply.chunks[0]?.offset ?? options.offset,
    size: reply.size ?? 0,
    ...(reply.attempt === undefined ? {} : { attempt: reply.attempt }),
    complete: reply.complete ?? false,
  };
}

/**
 * What the logs take on the server, in all and for the run.
 *
 * @throws RiverError when no collector answers.
 */
export async function readLogUsage(
  connection: RiverConnection,
  runId: string,
): Promise<LogUsage> {
  const reply = await queryLogs(connection, { runId, usage: true });
  if (reply.usage === undefined) {
    throw new RiverError(
      RiverErrorCode.connection,
      'The log-collector answered without storage figures: it is older ' +
        'than this client; upgrade river-log-collector.',
    );
  }
  return reply.usage;
}
