/**
 * Every NATS subject, stream, consumer and bucket name River uses.
 *
 * Subjects start with `river.v1.`; inside v1 a message only gains optional
 * fields, and a breaking change gets `v2` subjects.
 */

/** The prefix every v1 subject starts with. */
export const SUBJECT_PREFIX = 'river.v1';

/** Subjects of the v1 protocol, as literals or builders. */
export const Subjects = {
  /** Run submissions from clients, read by controllers. */
  submit: `${SUBJECT_PREFIX}.run.submit`,
  /** Task requests from controllers, read by schedulers. */
  taskRequest: `${SUBJECT_PREFIX}.task.request`,
  /** Task attempt results from sandboxes, read by schedulers. */
  taskResult: `${SUBJECT_PREFIX}.task.result`,
  /**
   * The dispatch queue of a pool's sandboxes that offer `labels` (exactly
   * that set): `river.v1.dispatch.<pool>` without labels, and
   * `river.v1.dispatch.<pool>.<label>~<label>…` (sorted) with them.
   */
  dispatch: (pool: string, labels: readonly string[] = []) =>
    labels.length === 0
      ? `${SUBJECT_PREFIX}.dispatch.${pool}`
      : `${SUBJECT_PREFIX}.dispatch.${pool}.${labelSetKey(labels)}`,
  /** Every dispatch queue, for the stream definition. */
  dispatchAll: `${SUBJECT_PREFIX}.dispatch.>`,
  /** One run's events; `type` is dotted, for example `task.finished`. */
  event: (runId: string, type: string) =>
    `${SUBJECT_PREFIX}.events.${runId}.${type}`,
  /** Every event of one run. */
  runEvents: (runId: string) => `${SUBJECT_PREFIX}.events.${runId}.>`,
  /** Every event of every run. */
  allEvents: `${SUBJECT_PREFIX}.events.>`,
  /** Finished-task events of every run, which resume job logic. */
  taskFinishedEvents: `${SUBJECT_PREFIX}.events.*.task.finished`,
  /** Log chunks of one task. */
  logChunk: (runId: string, taskId: string) =>
    `${SUBJECT_PREFIX}.log.chunk.${runId}.${taskId}`,
  /** Log chunks of every task of one run. */
  runLogChunks: (runId: string) => `${SUBJECT_PREFIX}.log.chunk.${runId}.*`,
  /** Log chunks of every run. */
  allLogChunks: `${SUBJECT_PREFIX}.log.chunk.>`,
  /** Request and reply: read stored logs from the log-collector. */
  logQuery: `${SUBJECT_PREFIX}.log.query`,
} as const;

/** JetStream stream names. */
export const Streams = {
  submissions: 'RIVER_SUBMISSIONS',
  taskRequests: 'RIVER_TASK_REQUESTS',
  dispatch: 'RIVER_DISPATCH',
  taskResults: 'RIVER_TASK_RESULTS',
  events: 'RIVER_EVENTS',
  logs: 'RIVER_LOGS',
} as const;

/** Durable consumer names, shared by every replica of a service. */
export const Consumers = {
  controllerSubmissions: 'controller-submissions',
  schedulerRequests: 'scheduler-requests',
  schedulerResults: 'scheduler-results',
  /**
   * The consumer of a dispatch queue, shared by the sandboxes of `pool`
   * that offer exactly `labels`: `sandbox-<pool>`, or
   * `sandbox-<pool>~<label>~<label>…` (sorted) with labels.
   */
  sandboxPool: (pool: string, labels: readonly string[] = []) =>
    labels.length === 0
      ? `sandbox-${pool}`
      : `sandbox-${pool}~${labelSetKey(labels)}`,
  logCollector: 'log-collector',
} as const;

/** Object store and key-value bucket names. */
export const Buckets = {
  /** Bundled project modules, by content digest. */
  bundles: 'river-bundles',
  /** Task input and output files, by content digest. */
  artifacts: 'river-artifacts',
  /** Task requests in flight, kept by the scheduler for retries. */
  tasks: 'river-tasks',
  /** Cancelled runs: key run id, written by clients, watched by all. */
  cancels: 'river-cancels',
  /** Per-task log index kept by the log-collector. */
  logIndex: 'river-log-index',
  /**
   * Secret values by name, each sealed for the sandboxes' key pair; set
   * by `river secret set`, read only by sandboxes.
   */
  secrets: 'river-secrets',
  /**
   * Recorded task results by scope and cache key, and the last request of
   * each task, kept by schedulers.
   */
  cache: 'river-cache',
  /** Which task runs each cache key now, so identical ones wait for it. */
  cacheFlights: 'river-cache-flights',
  /**
   * Live sandboxes by `<pool>.<sandboxId>`: labels, slots, tasks held and
   * whether draining, renewed every second by each sandbox.
   */
  sandboxes: 'river-sandboxes',
  /**
   * The schedulers' shared state: which replica dispatches (its lease)
   * and each pool's queue summary, for `river status`.
   */
  schedulers: 'river-schedulers',
} as const;

/** The pool a task goes to when it names none. */
export const DEFAULT_POOL = 'default';

/** Names usable as one subject token: pools, run ids, task ids. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * One token for a set of labels: sorted, without repeats, joined by `~`,
 * which a label cannot hold. The same set always gives the same token.
 */
export function labelSetKey(labels: readonly string[]): string {
  return labelSet(labels).join('~');
}

/** Labels as a set is compared: sorted, without repeats. */
export function labelSet(labels: readonly string[]): string[] {
  return [...new Set(labels)].sort();
}

/** Whether `value` can stand as one token of a subject. */
export function isSubjectToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}
