import { Type } from '../typebox.js';
import { CacheScope } from './cache.js';
import { FileRef, SchemaVersion, Timestamp, Token } from './common.js';

/** Client to controller: start a run of a bundled project. */
export const RunSubmission = Type.Object({
  schema: SchemaVersion,
  /** Chosen by the client so it can watch before submitting. */
  runId: Token,
  /** SHA-256 of the bundle in the bundles object store. */
  bundleDigest: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  /** The project file as the user named it, for messages. */
  file: Type.String(),
  submittedAt: Timestamp,
  /** The project's declared source files, uploaded by the client. */
  sources: Type.Array(FileRef),
  /** Parameter values as given, before defaults (`--param name=value`). */
  params: Type.Optional(Type.Record(Type.String(), Type.String())),
  /**
   * The run this one retries: its tasks that succeeded with the same
   * spec are reused instead of run again.
   */
  retryOf: Type.Optional(Token),
  /**
   * Marks the run untrusted (for example a change nobody reviewed): it
   * reads trusted cache entries but writes only to this scope of its own.
   */
  untrustedScope: Type.Optional(CacheScope),
  /**
   * Added to each task's own priority: among waiting tasks, a higher sum
   * is dispatched first. 0 when left out.
   */
  priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
});

/** Client to controller: start a run of a bundled project. */
export type RunSubmission = Type.Static<typeof RunSubmission>;

/** A request to cancel a run, the value of its key in the cancels bucket. */
export const RunCancellation = Type.Object({
  schema: SchemaVersion,
  runId: Token,
  reason: Type.String(),
  requestedAt: Timestamp,
});

/** A request to cancel a run. */
export type RunCancellation = Type.Static<typeof RunCancellation>;
