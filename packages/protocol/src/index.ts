/**
 * River's wire protocol: subjects, stream names, message schemas and the
 * MessagePack codec whose decode validates.
 *
 * @example
 * ```ts
 * import { decode, encode, Subjects } from '@river/protocol';
 * const bytes = encode('taskRequest', request);
 * const again = decode('taskRequest', Subjects.taskRequest, bytes);
 * ```
 *
 * @packageDocumentation
 */

export type {
  BundleJob,
  BundleProject,
  CacheSetting,
  HostJobRuntime,
  HostTaskRequest,
  HostTaskResult,
  JobControl,
  TaskSignal,
} from './bundle.js';
export { BUNDLE_API_VERSION } from './bundle.js';
export type { CacheKeyInput } from './cache-key.js';
export {
  CACHE_KEY_VERSION,
  cacheKeyOf,
  cacheKeyParts,
  describeKeyChanges,
  taskIdentityOf,
} from './cache-key.js';
export {
  CACHE_ENTRY_FILTER,
  CACHE_LAST_REQUEST_FILTER,
  cacheEntryKey,
  cacheFlightKey,
  cacheLastRequestKey,
} from './cache-layout.js';
export type { MessageKind, MessageTypes } from './codec.js';
export { check, decode, encode, MessageSchemas } from './codec.js';
export type { ServerUnsupportedContext } from './errors.js';
export {
  MessageDecodeError,
  ProtocolError,
  ProtocolErrorCode,
  ServerUnsupportedError,
} from './errors.js';
export type { GraphJob } from './job-graph.js';
export { findGraphProblems, withArtifactEdges } from './job-graph.js';
export type { ParamSpec, ParamValue } from './params.js';
export { resolveParams } from './params.js';
export {
  CacheEntry,
  CacheFlight,
  CacheKeyParts,
  CacheLastRequest,
  CacheLookupResult,
  CacheOrigin,
  CacheReuse,
  CacheScope,
  TaskCache,
} from './schemas/cache.js';
export { Bytes, FileRef, SCHEMA_VERSION } from './schemas/common.js';
export type { RunEventOf, RunEventType } from './schemas/event.js';
export {
  EventSchemas,
  FinalStatus,
  JobOutline,
  RUN_EVENT_TYPES,
  RunEvent,
} from './schemas/event.js';
export {
  DispatcherLease,
  PoolSummary,
  QueueSummary,
  SandboxPresence,
} from './schemas/fleet.js';
export {
  LineMark,
  LogChunk,
  LogIndexEntry,
  LogMark,
  LogQuery,
  LogQueryReply,
  LogStream,
  LogUsage,
  StorageCount,
  StoredLogChunk,
} from './schemas/log.js';
export { RunCancellation, RunSubmission } from './schemas/run.js';
export {
  AttemptOutcome,
  AttemptReason,
  ConcurrencyLimit,
  Label,
  MAX_TASK_LABELS,
  RunnerKind,
  SecretName,
  TaskDispatch,
  TaskLimits,
  TaskRequest,
  TaskResult,
  TaskSpec,
} from './schemas/task.js';
export {
  Buckets,
  Consumers,
  DEFAULT_POOL,
  isSubjectToken,
  labelSet,
  labelSetKey,
  Streams,
  SUBJECT_PREFIX,
  Subjects,
  TOKEN_PATTERN,
} from './subjects.js';
