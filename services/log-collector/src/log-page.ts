import type { Consumer } from '@nats-io/jetstream';
import {
  decode,
  type LogQuery,
  MessageDecodeError,
  type StoredLogChunk,
  Streams,
  Subjects,
} from '@river/protocol';
import { deleteConsumer, type Logger } from '@river/protocol/internal';
import type { StreamReader } from './stream-reader.js';

/** Chunk data in a reply when the query names no budget. */
export const DEFAULT_PAGE_BYTES = 256 * 1024;
/** The most chunk data in one reply, well under the 1 MB `max_payload`. */
export const MAX_PAGE_BYTES = 512 * 1024;
/** Messages asked of the stream at once while a page fills. */
const FETCH_BATCH = 256;
/** Messages asked for first, before their size is known: four chunks. */
const FIRST_FETCH = 4;
/** How long one fetch waits for messages the stream said it holds. */
const FETCH_EXPIRES_MS = 2_000;
/**
 * Chunks in a page read one request each, when no consumer can be had:
 * a few hundred milliseconds' worth, so that the reply comes in time.
 */
const MAX_CHUNKS_ONE_BY_ONE = 256;
/**
 * Chunks one page looks at, kept or filtered out: a filter that keeps
 * few chunks still gets an answer in time, with `next` to go on.
 */
const MAX_SCANNED_CHUNKS = 8_192;
/** The shortest wait for a live chunk that the client library allows. */
const MIN_WAIT_MS = 1_000;

/** Which stored chunks a page keeps. */
interface ChunkFilter {
  stream?: LogQuery['stream'];
  attempt?: number;
  since?: number;
}

/** One page of a task's or a run's stored log. */
export interface LogPage {
  chunks: StoredLogChunk[];
  /** The last stream sequence read, when more chunks may follow. */
  next?: number;
  /** The last stream sequence read, on every page that read any. */
  cursor?: number;
}

/**
 * Reads stored chunks in stream order, starting after stream sequence
 * `query.after`, until their data reaches the byte budget. A page holds at
 * least one chunk when any is left, so an oversized chunk still gets out.
 */
export async function readLogPage(
  reader: StreamReader,
  query: LogQuery,
  log: Logger,
): Promise<LogPage> {
  const budget = Math.min(query.maxBytes ?? DEFAULT_PAGE_BYTES, MAX_PAGE_BYTES);
  const filter =
    query.taskId === undefined
      ? Subjects.runLogChunks(query.runId)
      : Subjects.logChunk(query.runId, query.taskId);
  const page = new PageBuilder(budget, log, {
    ...(query.stream === undefined ? {} : { stream: query.stream }),
    ...(query.attempt === undefined ? {} : { attempt: query.attempt }),
    ...(query.since === undefined ? {} : { since: query.since }),
  });
  const from = (query.after ?? 0) + 1;
  // Without a place to resume from, a time says where to start.
  const start =
    query.after === undefined && query.since !== undefined
      ? { opt_start_time: new Date(query.since).toISOString() }
      : { opt_start_seq: from };

  // An ordered consumer is ephemeral, in memory and single-filtered, which
  // nats-server 2.9 supports; it reads from one point of the stream onward.
  let consumer: Consumer;
  try {
    consumer = await reader.openConsumer(Streams.logs, {
      filter_subjects: filter,
      ...start,
    });
  } catch (error) {
    log.debug(
      { runId: query.runId, err: error },
      'No reader for the logs stream; reading chunk by chunk',
    );
    return readOneByOne(reader, filter, from, page);
  }
  let read: LogPage | undefined;
  try {
    read = await readWithConsumer(consumer, page, query.waitMs ?? 0);
  } finally {
    deleteConsumer(consumer);
  }
  // A consumer whose server went away mid-page delivers nothing more.
  return read ?? readOneByOne(reader, filter, page.nextSeq(from), page);
}

/** The page, or `undefined` when the consumer stopped delivering. */
async function readWithConsumer(
  consumer: Consumer,
  page: PageBuilder,
  waitMs: number,
): Promise<LogPage | undefined> {
  let pending = (await consumer.info(true)).num_pending;
  if (pending === 0 && waitMs > 0) {
    // A follower caught up: answer with the next chunk as soon as it is
    // stored, instead of having it ask again and again.
    const msg = await consumer.next({
      expires: Math.max(waitMs, MIN_WAIT_MS),
    });
    if (msg === null) {
      return page.last();
    }
    page.add(msg.seq, msg.subject, msg.data, atOf(msg.info.timestampNanos));
    pending = msg.info.pending;
  }
  while (pending > 0) {
    const batch = await consumer.fetch({
      max_messages: Math.min(pending, FETCH_BATCH, page.messagesToFill()),
      expires: FETCH_EXPIRES_MS,
    });
    let received = 0;
    for await (const msg of batch) {
      received++;
      if (
        !page.add(msg.seq, msg.subject, msg.data, atOf(msg.info.timestampNanos))
      ) {
        return page.partial();
      }
      pending = msg.info.pending;
    }
    if (received === 0) {
      return undefined;
    }
  }
  return page.last();
}

async function readOneByOne(
  reader: StreamReader,
  filter: string,
  from: number,
  page: PageBuilder,
): Promise<LogPage> {
  let next = from;
  for (let read = 0; read < MAX_CHUNKS_ONE_BY_ONE; read++) {
    const msg = await reader.nextMessage(Streams.logs, filter, next);
    if (msg === null) {
      return page.last();
    }
    if (!page.add(msg.seq, msg.subject, msg.data, msg.time.getTime())) {
      break;
    }
    next = msg.seq + 1;
  }
  return page.partial();
}

/** A stored message's time in milliseconds. */
function atOf(timestampNanos: number): number {
  return Math.floor(timestampNanos / 1_000_000);
}

/** Collects one page's chunks in stream order, within its byte budget. */
class PageBuilder {
  readonly #budget: number;
  readonly #log: Logger;
  readonly #filter: ChunkFilter;
  readonly #chunks: StoredLogChunk[] = [];
  readonly #seen = new Set<string>();
  #bytes = 0;
  #lastSeq = 0;
  #scanned = 0;
  /** Bytes of the messages looked at, to tell how many fill the page. */
  #scannedBytes = 0;

  constructor(budget: number, log: Logger, filter: ChunkFilter = {}) {
    this.#budget = budget;
    this.#log = log;
    this.#filter = filter;
  }

  /**
   * About how many more messages fill the page, from the size of those
   * read so far, and one more: asking for a whole batch of 64 KiB chunks
   * pulled 256 of them (16 MiB) for a page of four, and dropped the rest.
   */
  messagesToFill(): number {
    if (this.#scannedBytes === 0) {
      return FIRST_FETCH;
    }
    const perMessage = this.#scannedBytes / this.#scanned;
    const room = Math.max(0, this.#budget - this.#bytes);
    return Math.max(1, Math.ceil(room / perMessage) + 1);
  }

  /**
   * Adds the chunk stored at `seq` at time `at` unless the filter leaves
   * it out; `false` when it does not fit, or too many chunks were looked
   * at, and so starts the next page instead.
   */
  add(seq: number, subject: string, data: Uint8Array, at: number): boolean {
    const chunk = this.#kept(storedChunk(subject, data, this.#log), at);
    const size = chunk?.data.length ?? 0;
    if (this.#chunks.length > 0 && this.#bytes + size > this.#budget) {
      return false;
    }
    if (this.#scanned++ >= MAX_SCANNED_CHUNKS) {
      return false;
    }
    this.#scannedBytes += data.length;
    this.#lastSeq = seq;
    if (chunk === undefined) {
      return true;
    }
    // A sandbox that repeated a publish stored the chunk twice; within a
    // page it is returned once.
    const id = `${chunk.taskId}.${chunk.attempt}.${chunk.seq}`;
    if (!this.#seen.has(id)) {
      this.#seen.add(id);
      this.#chunks.push(chunk);
      this.#bytes += size;
    }
    return true;
  }

  #kept(
    chunk: StoredLogChunk | undefined,
    at: number,
  ): StoredLogChunk | undefined {
    const { stream, attempt, since } = this.#filter;
    if (
      chunk === undefined ||
      (stream !== undefined && chunk.stream !== stream) ||
      (attempt !== undefined && chunk.attempt !== attempt) ||
      (since !== undefined && at < since)
    ) {
      return undefined;
    }
    return { ...chunk, at };
  }

  /** Where reading goes on: after the last chunk read, else at `from`. */
  nextSeq(from: number): number {
    return this.#lastSeq === 0 ? from : this.#lastSeq + 1;
  }

  /** A page after which more may follow. */
  partial(): LogPage {
    const lastSeq = this.#lastSeq;
    return { chunks: this.#chunks, next: lastSeq, cursor: lastSeq };
  }

  /** The last page: nothing more is stored yet. */
  last(): LogPage {
    const chunks = this.#chunks;
    return this.#lastSeq === 0 ? { chunks } : { chunks, cursor: this.#lastSeq };
  }
}

/** The chunk as a reply carries it, or `undefined` if it is malformed. */
function storedChunk(
  subject: string,
  data: Uint8Array,
  log: Logger,
): StoredLogChunk | undefined {
  try {
    const chunk = decode('logChunk', subject, data);
    return {
      taskId: chunk.taskId,
      attempt: chunk.attempt,
      seq: chunk.seq,
      stream: chunk.stream,
      data: chunk.data,
    };
  } catch (error) {
    if (!(error instanceof MessageDecodeError)) {
      throw error;
    }
    log.debug(
      { subject, field: error.field },
      'Skipped malformed stored log chunk',
    );
    return undefined;
  }
}
