import { Type } from '../typebox.js';
import { SchemaVersion, Timestamp, Token } from './common.js';
import { AttemptOutcome } from './outcome.js';

/** A lower-case hex SHA-256. */
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

/**
 * The name of an untrusted run's cache scope, for example `pr-1234`: the
 * run writes its entries there, and trusted runs never read them.
 */
export const CacheScope = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });

/** The attempt whose outcome a cache hit reuses. */
export const CacheOrigin = Type.Object({
  runId: Token,
  taskId: Token,
  attempt: Type.Integer({ minimum: 1 }),
  finishedAt: Timestamp,
});

/** The attempt whose outcome a cache hit reuses. */
export type CacheOrigin = Type.Static<typeof CacheOrigin>;

/**
 * The digest of each part of a cache key, by the part's name (for example
 * `job code`, `env CFLAGS`, `input src/util.c`); a miss is explained by
 * the names whose digests differ from the last request of the same task.
 */
export const CacheKeyParts = Type.Record(Type.String(), Sha256);

/** The digest of each part of a cache key, by the part's name. */
export type CacheKeyParts = Type.Static<typeof CacheKeyParts>;

/** An earlier run's successful attempt, offered for reuse by a retry. */
export const CacheReuse = Type.Object({
  origin: CacheOrigin,
  outcome: AttemptOutcome,
});

/** An earlier run's successful attempt, offered for reuse by a retry. */
export type CacheReuse = Type.Static<typeof CacheReuse>;

/** How a task request uses the task cache. */
export const TaskCache = Type.Object({
  /** SHA-256 over every part of the key. */
  key: Sha256,
  parts: CacheKeyParts,
  /**
   * The same task from run to run (its project, job and name), to compare
   * a miss with the task's last request.
   */
  identity: Sha256,
  /** Whether entries are looked up and recorded: the task opted in. */
  use: Type.Boolean(),
  /** How long a recorded entry may be reused. */
  ttlMs: Type.Integer({ minimum: 1 }),
  /**
   * Set for an untrusted run: the scope its entries are written to. It
   * reads its own scope's entries, then trusted ones.
   */
  untrustedScope: Type.Optional(CacheScope),
  /** A successful attempt of the retried run with the same spec. */
  reuse: Type.Optional(CacheReuse),
});

/** How a task request uses the task cache. */
export type TaskCache = Type.Static<typeof TaskCache>;

/** A recorded task result, the value of its key in the cache bucket. */
export const CacheEntry = Type.Object({
  schema: SchemaVersion,
  key: Sha256,
  parts: CacheKeyParts,
  origin: CacheOrigin,
  /** The successful outcome, whose files are in the artifact store. */
  outcome: AttemptOutcome,
  recordedAt: Timestamp,
  /** After this, the entry is a miss and `river cache prune` removes it. */
  expiresAt: Timestamp,
  /** Bytes of the outcome's files together. */
  bytes: Type.Integer({ minimum: 0 }),
});

/** A recorded task result. */
export type CacheEntry = Type.Static<typeof CacheEntry>;

/** The last request of a task, kept to explain the next miss. */
export const CacheLastRequest = Type.Object({
  schema: SchemaVersion,
  runId: Token,
  taskId: Token,
  key: Sha256,
  parts: CacheKeyParts,
  at: Timestamp,
});

/** The last request of a task, kept to explain the next miss. */
export type CacheLastRequest = Type.Static<typeof CacheLastRequest>;

/** Which task runs a key now; the value of its key in the flights bucket. */
export const CacheFlight = Type.Object({
  runId: Token,
  taskId: Token,
  since: Timestamp,
});

/** Which task runs a key now. */
export type CacheFlight = Type.Static<typeof CacheFlight>;

/**
 * What the scheduler found in the cache for a task: a `hit` (reused),
 * a `miss` (it runs), or `wait` (an identical task runs already).
 */
export const CacheLookupResult = Type.Union([
  Type.Literal('hit'),
  Type.Literal('miss'),
  Type.Literal('wait'),
]);

/** What the scheduler found in the cache for a task. */
export type CacheLookupResult = Type.Static<typeof CacheLookupResult>;
