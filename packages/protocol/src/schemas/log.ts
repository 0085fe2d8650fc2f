import Type from 'typebox';
import { Bytes, SchemaVersion, Token } from './common.js';

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
});

/** One stored chunk in a query reply. */
export type StoredLogChunk = Type.Static<typeof StoredLogChunk>;

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
});

/** What the collector knows of one task attempt's log. */
export type LogIndexEntry = Type.Static<typeof LogIndexEntry>;

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
  /** Set when the query itself was refused. */
  error: Type.Optional(Type.String()),
});

/** Log-collector to client: a page of chunks in stored order. */
export type LogQueryReply = Type.Static<typeof LogQueryReply>;
