import {
  Buckets,
  Consumers,
  isSubjectToken,
  Streams,
  Subjects,
} from '@river/protocol';
import { inboxPrefixOf } from '@river/protocol/internal';

/** What one NATS user may publish and subscribe to. */
export interface RolePermissions {
  /** Subjects it may publish to (JetStream API calls are publishes). */
  publish: string[];
  /** Subjects it may subscribe to. */
  subscribe: string[];
  /** Whether it may answer requests it received (the log-collector). */
  allowResponses: boolean;
}

/** Labels a pool's sandboxes offer together, such as `['docker', 'gcc']`. */
export type LabelSet = readonly string[];

/** The roles every River deployment has, besides one per sandbox pool. */
export const FIXED_ROLES = [
  'admin',
  'controller',
  'scheduler',
  'log-collector',
  'gateway',
  'sdk',
] as const;

/** A role: one of {@link FIXED_ROLES}, or `sandbox-<pool>`. */
export type RoleName = (typeof FIXED_ROLES)[number] | `sandbox-${string}`;

/** The role of the sandboxes of `pool`. */
export function sandboxRole(pool: string): RoleName {
  if (!isSubjectToken(pool)) {
    throw new Error(
      `'${pool}' is not a pool name: use letters, digits, '-' and '_'.`,
    );
  }
  return `sandbox-${pool}`;
}

/** The role a service runs as; a sandbox's depends on its pool. */
export function serviceRole(
  service: 'controller' | 'scheduler' | 'sandbox' | 'log-collector' | 'gateway',
  pool = 'default',
): RoleName {
  return service === 'sandbox' ? sandboxRole(pool) : service;
}

const API = '$JS.API';

/** Looking streams up, which also tells a service that they exist. */
function lookUp(...streams: string[]): string[] {
  return streams.map((stream) => `${API}.STREAM.INFO.${stream}`);
}

/**
 * Creating, reading and acknowledging one durable pull consumer, and only
 * with its own filter: the server refuses a create whose filter differs
 * from the one its subject names. Without a filter, the consumer reads the
 * whole stream, which the role must be allowed to read anyway.
 */
function durable(stream: string, name: string, filter?: string): string[] {
  return [
    filter === undefined
      ? `${API}.CONSUMER.CREATE.${stream}.${name}`
      : `${API}.CONSUMER.CREATE.${stream}.${name}.${filter}`,
    `${API}.CONSUMER.INFO.${stream}.${name}`,
    `${API}.CONSUMER.MSG.NEXT.${stream}.${name}`,
    `$JS.ACK.${stream}.${name}.>`,
  ];
}

/**
 * Short-lived ordered pull consumers on `stream`, filtered inside
 * `filter`. Their names are random, so pulling is allowed from any
 * consumer of the stream: only a role that may read the stream gets this.
 */
function follow(stream: string, filter: string): string[] {
  return [
    `${API}.CONSUMER.CREATE.${stream}.*.${filter}`,
    `${API}.CONSUMER.INFO.${stream}.*`,
    `${API}.CONSUMER.MSG.NEXT.${stream}.*`,
    `${API}.CONSUMER.DELETE.${stream}.*`,
  ];
}

/**
 * Ordered push consumers (key-value watches, object reads), which deliver
 * to the role's own inbox and ask for flow-control replies.
 */
function watch(stream: string, filter: string): string[] {
  return [
    `${API}.CONSUMER.CREATE.${stream}.*.${filter}`,
    `${API}.CONSUMER.INFO.${stream}.*`,
    `${API}.CONSUMER.DELETE.${stream}.*`,
    `$JS.FC.${stream}.>`,
  ];
}

/** Events of the given types, of any run. */
function events(...types: string[]): string[] {
  return types.map((type) => Subjects.event('*', type));
}

/** Reading keys of a key-value bucket, one by one. */
function kvRead(bucket: string): string[] {
  return [
    `${API}.DIRECT.GET.KV_${bucket}.$KV.${bucket}.>`,
    `${API}.STREAM.MSG.GET.KV_${bucket}`,
  ];
}

/** Writing (and deleting) keys of a key-value bucket. */
function kvWrite(bucket: string): string[] {
  return [`$KV.${bucket}.>`];
}

/** Watching every key of a key-value bucket. */
function kvWatch(bucket: string): string[] {
  return watch(`KV_${bucket}`, `$KV.${bucket}.>`);
}

/** Reading objects of an object store: their records and their chunks. */
function objectRead(bucket: string): string[] {
  const stream = `OBJ_${bucket}`;
  return [
    `${API}.STREAM.MSG.GET.${stream}`,
    `${API}.DIRECT.GET.${stream}.$O.${bucket}.M.*`,
    ...follow(stream, `$O.${bucket}.C.*`),
    ...watch(stream, `$O.${bucket}.C.*`),
  ];
}

/** Adding objects to an object store. */
function objectWrite(bucket: string): string[] {
  return [`$O.${bucket}.C.*`, `$O.${bucket}.M.*`];
}

/**
 * Adding objects without reading any: a direct read of the last record
 * of a name (size and digest, to skip what is stored) is all it reads.
 */
function objectWriteOnly(bucket: string): string[] {
  return [
    `${API}.DIRECT.GET.OBJ_${bucket}.$O.${bucket}.M.*`,
    ...objectWrite(bucket),
  ];
}

/** What every River user may do: check JetStream, get its replies. */
function common(role: RoleName): RolePermissions {
  return {
    publish: [`${API}.INFO`],
    subscribe: [`${inboxPrefixOf(role)}.>`],
    allowResponses: false,
  };
}

function controller(): string[] {
  const { submissions, taskRequests, events: eventStream } = Streams;
  return [
    ...lookUp(
      submissions,
      taskRequests,
      eventStream,
      `OBJ_${Buckets.bundles}`,
      `KV_${Buckets.cancels}`,
      `KV_${Buckets.secrets}`,
    ),
    ...durable(submissions, Consumers.controllerSubmissions, Subjects.submit),
    ...follow(eventStream, Subjects.allEvents),
    `${API}.STREAM.MSG.GET.${eventStream}`,
    Subjects.taskRequest,
    ...events('run.>', 'job.>', 'task.requested'),
    ...objectRead(Buckets.bundles),
    ...kvWatch(Buckets.cancels),
    ...kvWrite(Buckets.cancels),
    // Only the revision a secret was set at enters a cache key; the value
    // is sealed for the sandboxes' key, which a controller does not hold.
    ...kvRead(Buckets.secrets),
  ];
}

function scheduler(): string[] {
  const { taskRequests, taskResults, dispatch, events: eventStream } = Streams;
  const tasks = `KV_${Buckets.tasks}`;
  const cache = `KV_${Buckets.cache}`;
  const flights = `KV_${Buckets.cacheFlights}`;
  return [
    ...lookUp(
      taskRequests,
      taskResults,
      dispatch,
      eventStream,
      tasks,
      cache,
      flights,
      `OBJ_${Buckets.artifacts}`,
      `KV_${Buckets.cancels}`,
      `KV_${Buckets.sandboxes}`,
      `KV_${Buckets.schedulers}`,
    ),
    ...durable(taskRequests, Consumers.schedulerRequests, Subjects.taskRequest),
    ...durable(taskResults, Consumers.schedulerResults, Subjects.taskResult),
    Subjects.dispatchAll,
    ...events(
      'task.dispatched',
      'task.retrying',
      'task.lost',
      'task.result-ignored',
      'task.finished',
      'task.cache',
      'task.queued',
    ),
    // A task of a cancelled run that was never dispatched is finished
    // through the results queue, like any attempt.
    Subjects.taskResult,
    // The tasks bucket is the scheduler's own: it may make it and keep
    // its age limit in line with RIVER_TASK_TTL_DAYS.
    `${API}.STREAM.CREATE.${tasks}`,
    `${API}.STREAM.UPDATE.${tasks}`,
    ...kvRead(Buckets.tasks),
    ...kvWrite(Buckets.tasks),
    // The dispatching replica follows every task in flight, and the
    // sandboxes' announcements; the replicas share a lease and write
    // each pool's summary in the schedulers bucket.
    ...kvWatch(Buckets.tasks),
    ...kvWatch(Buckets.sandboxes),
    ...kvRead(Buckets.schedulers),
    ...kvWrite(Buckets.schedulers),
    // Only schedulers write the cache, after hashing each result's files
    // again (read from the artifact store); sandboxes may not.
    `${API}.STREAM.CREATE.${cache}`,
    `${API}.STREAM.CREATE.${flights}`,
    ...kvRead(Buckets.cache),
    ...kvWrite(Buckets.cache),
    ...kvRead(Buckets.cacheFlights),
    ...kvWrite(Buckets.cacheFlights),
    ...objectRead(Buckets.artifacts),
    // A task waiting for an identical one stops when its run is cancelled.
    ...kvWatch(Buckets.cancels),
  ];
}

function sandbox(pool: string, labelSets: readonly LabelSet[]): string[] {
  const { dispatch, taskResults, logs, events: eventStream } = Streams;
  const queues = [[], ...labelSets].flatMap((labels) =>
    durable(
      dispatch,
      Consumers.sandboxPool(pool, labels),
      Subjects.dispatch(pool, labels),
    ),
  );
  return [
    ...lookUp(
      dispatch,
      taskResults,
      logs,
      eventStream,
      `OBJ_${Buckets.artifacts}`,
      `KV_${Buckets.cancels}`,
      `KV_${Buckets.secrets}`,
      `KV_${Buckets.sandboxes}`,
    ),
    ...queues,
    // Its announcement, under its own pool only.
    `$KV.${Buckets.sandboxes}.${pool}.>`,
    Subjects.taskResult,
    Subjects.allLogChunks,
    ...events('task.started'),
    ...objectRead(Buckets.artifacts),
    ...objectWrite(Buckets.artifacts),
    ...kvWatch(Buckets.cancels),
    // Sealed values, which only the sandboxes' private key opens; a
    // sandbox reads them key by key and cannot list or change them.
    ...kvRead(Buckets.secrets),
  ];
}

function logCollector(): string[] {
  const { logs, events: eventStream } = Streams;
  const index = `KV_${Buckets.logIndex}`;
  return [
    ...lookUp(logs, eventStream, index),
    ...durable(logs, Consumers.logCollector),
    ...follow(logs, Subjects.allLogChunks),
    `${API}.STREAM.MSG.GET.${logs}`,
    `${API}.STREAM.MSG.GET.${eventStream}`,
    ...events('task.log-gap'),
    // The log index is the collector's own bucket.
    `${API}.STREAM.CREATE.${index}`,
    ...kvRead(Buckets.logIndex),
    ...kvWrite(Buckets.logIndex),
  ];
}

function sdk(): string[] {
  const { submissions, events: eventStream } = Streams;
  return [
    ...lookUp(
      submissions,
      eventStream,
      `OBJ_${Buckets.bundles}`,
      `OBJ_${Buckets.artifacts}`,
      `KV_${Buckets.cancels}`,
      `KV_${Buckets.secrets}`,
      `KV_${Buckets.cache}`,
      `KV_${Buckets.sandboxes}`,
      `KV_${Buckets.schedulers}`,
    ),
    Subjects.submit,
    Subjects.logQuery,
    ...follow(eventStream, Subjects.allEvents),
    ...objectWriteOnly(Buckets.bundles),
    ...objectRead(Buckets.artifacts),
    ...objectWrite(Buckets.artifacts),
    ...kvWrite(Buckets.cancels),
    // Secret values are sealed for the sandboxes' key: a client sets and
    // lists them but cannot open them.
    ...kvRead(Buckets.secrets),
    ...kvWrite(Buckets.secrets),
    ...kvWatch(Buckets.secrets),
    // Clients list and explain cached results; changing them takes the
    // admin user, lest a client plant a result for trusted runs.
    ...kvRead(Buckets.cache),
    ...kvWatch(Buckets.cache),
    // `river status` lists the fleet and each pool's queues and depths.
    `${API}.CONSUMER.INFO.${Streams.dispatch}.*`,
    ...kvRead(Buckets.sandboxes),
    ...kvWatch(Buckets.sandboxes),
    ...kvRead(Buckets.schedulers),
    ...kvWatch(Buckets.schedulers),
  ];
}

/**
 * The web UI's gateway reads every event and asks the log-collector; an
 * operator's cancel writes the cancels bucket, and a retry submits the
 * retried run's bundle again, after checking that it is still stored.
 */
function gateway(): string[] {
  const { submissions, events: eventStream } = Streams;
  return [
    ...lookUp(
      submissions,
      eventStream,
      `OBJ_${Buckets.bundles}`,
      `OBJ_${Buckets.artifacts}`,
      `KV_${Buckets.cancels}`,
    ),
    Subjects.submit,
    Subjects.logQuery,
    ...follow(eventStream, Subjects.allEvents),
    `${API}.DIRECT.GET.OBJ_${Buckets.bundles}.$O.${Buckets.bundles}.M.*`,
    `${API}.DIRECT.GET.OBJ_${Buckets.artifacts}.$O.${Buckets.artifacts}.M.*`,
    ...kvWrite(Buckets.cancels),
  ];
}

/**
 * The NATS permissions of a River role: what each service and client does,
 * and nothing more. Everything a role's lists do not name is refused. A
 * sandbox role pulls its pool's queue without labels and the queue of
 * each of `labelSets`, the label sets its sandboxes offer.
 */
export function rolePermissions(
  role: RoleName,
  labelSets: readonly LabelSet[] = [],
): RolePermissions {
  const base = common(role);
  const add = (publish: string[], subscribe: string[] = []) => ({
    publish: [...new Set([...base.publish, ...publish])],
    subscribe: [...new Set([...base.subscribe, ...subscribe])],
    allowResponses: base.allowResponses,
  });
  switch (role) {
    case 'admin':
      return { publish: ['>'], subscribe: ['>'], allowResponses: true };
    case 'controller':
      return add(controller());
    case 'scheduler':
      return add(scheduler());
    case 'log-collector':
      return {
        ...add(logCollector(), [Subjects.logQuery]),
        allowResponses: true,
      };
    case 'gateway':
      return add(gateway());
    case 'sdk':
      return add(sdk());
    default:
      return add(sandbox(role.slice('sandbox-'.length), labelSets));
  }
}
