import { Type } from '../typebox.js';
import { Bytes, SchemaVersion, Timestamp, Token } from './common.js';

/** Which output a log chunk came from. */
export const LogStream = Type.Union([
  Type.Literal('stdout'),
  Type.Literal('stderr'),
]);

/** Which output a log chunk came from. */
export type LogStream = Type.Static<typeof LogStream>;

/** Sandbox to log-collector: a piece of a task attempt's output. */
export const LogChunk = Type.Object({
  schema: SchemaVersion,
  runId: Token,
  taskId: Token,
  attempt: Type.Integer({ minimum: 1 }),
  /** Starts at 0 for each attempt and counts every chunk of it. */
  seq: Type.Integer({ minimum: 0 }),
  stream: LogStream,
  data: Bytes,
  /** Set on the attempt's last chunk, whose data may be empty. */
  last: Type.Boolean(),
});

/** Sandbox to log-collector: a piece of a task attempt's output. */
export type LogChunk = Type.Static<typeof LogChunk>;

/** Client to log-collector: read stored log chunks. */
export const LogQuery = Type.Object({
  schema: SchemaVersion,
  runId: Token,
  /** Only this task; all of the run's tasks when absent. */
  taskId: Type.Optional(Token),
  /** Resume after this stream sequence (from a previous reply). */
  after: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Reply size budget in bytes of chunk data. */
  maxBytes: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Only this output; with `offset`, the output the range is of. */
  stream: Type.Optional(LogStream),
  /** Only this attempt; with `offset`, the last attempt when absent. */
  attempt: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Only chunks stored at or after this time. */
  since: Type.Optional(Timestamp),
  /**
   * A byte range instead of a page: the bytes of one attempt's `stream`
   * (stdout by default) from this offset; needs `taskId`.
   */
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  /** The range's length in bytes, at most the page budget's maximum. */
  length: Type.Optional(Type.Integer({ minimum: 1 })),
  /**
   * When nothing is stored after `after` yet, wait this long for the next
   * chunk before answering (following a live log).
   */
  waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 8_000 })),
  /** Answer with the storage that logs use instead of chunks. */
  usage: Type.Optional(Type.Boolean()),
  /**
   * Lines instead of chunks: the lines of one attempt's output (stdout and
   * stderr interleaved in stored order, split at "\n") from this line on,
   * counting from 1; needs `taskId`. The task's last attempt unless
   * `attempt` is given.
   */
  line: Type.Optional(Type.Integer({ minimum: 1 })),
  /** With `line`: how many lines, 1,000 when absent. */
  lines: Type.Optional(Type.Integer({ minimum: 1, maximum: 5_000 })),
  /**
   * The last this many lines of one attempt's output instead of chunks
   * (following a log by lines); needs `taskId`.
   */
  tail: Type.Optional(Type.Integer({ minimum: 1, maximum: 5_000 })),
  /**
   * Count the occurrences of this text in one attempt's output instead of
   * reading chunks; needs `taskId`. It matches the text a terminal shows
   * (escape sequences removed, carriage returns applied), within a line.
   */
  search: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  /** With `search`: match case exactly; ignored case when absent. */
  caseSensitive: Type.Optional(Type.Boolean()),
  /** With `search`: how many line numbers the reply lists, 1,000 when absent. */
  maxHits: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
});

/** Client to log-collector: read stored log chunks. */
export type LogQuery = Type.Static<typeof LogQuery>;

/** One stored chunk in a query reply. */
export const StoredLogChunk = Type.Object({
  taskId: Token,
  attempt: Type.Integer({ minimum: 1 }),
  seq: Type.Integer({ minimum: 0 }),
  stream: LogStream,
  data: Bytes,
  /** When the chunk was stored. */
  at: Type.Optional(Timestamp),
  /** In a range reply: where `data` starts in its attempt's stream. */
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});

/** One stored chunk in a query reply. */
export type StoredLogChunk = Type.Static<typeof StoredLogChunk>;

/** A chunk of an attempt's output: its stream sequence and its offset. */
export const LogMark = Type.Object({
  stream: LogStream,
  /** The chunk's sequence in the logs stream. */
  streamSeq: Type.Integer({ minimum: 1 }),
  /** Where the chunk's data starts in the attempt's output. */
  offset: Type.Integer({ minimum: 0 }),
});

/** A chunk of an attempt's output: its stream sequence and its offset. */
export type LogMark = Type.Static<typeof LogMark>;

/** A chunk of an attempt's output: its stream sequence and its line. */
export const LineMark = Type.Object({
  /** The chunk's sequence in the logs stream. */
  streamSeq: Type.Integer({ minimum: 1 }),
  /** Newlines in the attempt's output (both streams) before the chunk. */
  line: Type.Integer({ minimum: 0 }),
});

/** A chunk of an attempt's output: its stream sequence and its line. */
export type LineMark = Type.Static<typeof LineMark>;

/** What the collector knows of one task attempt's log. */
export const LogIndexEntry = Type.Object({
  schema: SchemaVersion,
  runId: Token,
  taskId: Token,
  attempt: Type.Integer({ minimum: 1 }),
  chunks: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0 }),
  /** Next chunk sequence expected. */
  nextSeq: Type.Integer({ minimum: 0 }),
  /** Chunk sequences that never arrived. */
  missing: Type.Array(Type.Integer({ minimum: 0 })),
  complete: Type.Boolean(),
  /** Bytes counted of each output, in stream order. */
  streamBytes: Type.Optional(
    Type.Object({
      stdout: Type.Integer({ minimum: 0 }),
      stderr: Type.Integer({ minimum: 0 }),
    }),
  ),
  /**
   * Where reading an output from a byte offset may start: a sparse list
   * of chunks with their stream sequence and their data's offset.
   */
  marks: Type.Optional(Type.Array(LogMark)),
  /**
   * Newlines in the output so far, both streams in stored order. Absent
   * in entries written before lines were counted.
   */
  lines: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Whether the output so far ends in a line without its "\n". */
  openLine: Type.Optional(Type.Boolean()),
  /**
   * Where reading the output from a line may start: a sparse list of
   * chunks with their stream sequence and the lines before them.
   */
  lineMarks: Type.Optional(Type.Array(LineMark)),
});

/** What the collector knows of one task attempt's log. */
export type LogIndexEntry = Type.Static<typeof LogIndexEntry>;

/** Messages and bytes that a stream, or part of one, holds. */
export const StorageCount = Type.Object({
  messages: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0 }),
});

/** Messages and bytes that a stream, or part of one, holds. */
export type StorageCount = Type.Static<typeof StorageCount>;

/** What River's logs take on the server, and one run's share. */
export const LogUsage = Type.Object({
  /** The logs stream, all runs. */
  logs: StorageCount,
  /** The log index bucket, all runs. */
  index: StorageCount,
  /** The run's chunks (messages) and their data (bytes). */
  run: StorageCount,
  /** The run's task attempts in the index. */
  attempts: Type.Integer({ minimum: 0 }),
  /** Days the logs stream keeps chunks; absent when it has no limit. */
  retentionDays: Type.Optional(Type.Number({ minimum: 0 })),
});

/** What River's logs take on the server, and one run's share. */
export type LogUsage = Type.Static<typeof LogUsage>;

/** Log-collector to client: a page of chunks in stored order. */
export const LogQueryReply = Type.Object({
  schema: SchemaVersion,
  chunks: Type.Array(StoredLogChunk),
  /** Pass as `after` to read the next page; absent on the last page. */
  next: Type.Optional(Type.Integer({ minimum: 0 })),
  /**
   * The last stream sequence this reply covers; pass it as `after` later
   * to read only what was stored since (following a live log).
   */
  cursor: Type.Optional(Type.Integer({ minimum: 0 })),
  /** In a range reply: bytes of the output that the index knows. */
  size: Type.Optional(Type.Integer({ minimum: 0 })),
  /** In a range reply: the attempt read, and whether its log is whole. */
  attempt: Type.Optional(Type.Integer({ minimum: 1 })),
  complete: Type.Optional(Type.Boolean()),
  /** In a usage reply: what the logs take on the server. */
  usage: Type.Optional(LogUsage),
  /**
   * In a line or tail reply: the lines, UTF-8 decoded (a byte that is not
   * UTF-8 becomes U+FFFD), raw otherwise: escape sequences and "\r" kept,
   * the "\n" that ends each line removed. A last line without "\n" is
   * returned too. Fewer lines than asked when the rest would take more
   * than 512 KiB, or the output ends: ask again from the next line.
   */
  lines: Type.Optional(Type.Array(Type.String())),
  /** In a line or tail reply: the number of the first of `lines`. */
  firstLine: Type.Optional(Type.Integer({ minimum: 1 })),
  /**
   * In a line, tail or search reply: the lines of the output as far as
   * known, a last line without "\n" included.
   */
  totalLines: Type.Optional(Type.Integer({ minimum: 0 })),
  /** In a search reply: every occurrence, counted without overlaps. */
  hits: Type.Optional(Type.Integer({ minimum: 0 })),
  /** In a search reply: the lines holding at least one occurrence. */
  matchingLines: Type.Optional(Type.Integer({ minimum: 0 })),
  /**
   * In a search reply: the numbers of the lines holding an occurrence, in
   * ascending order, the first `maxHits` of them.
   */
  hitLines: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }))),
  /** Set when the query itself was refused. */
  error: Type.Optional(Type.String()),
});

/** Log-collector to client: a page of chunks in stored order. */
export type LogQueryReply = Type.Static<typeof LogQueryReply>;
