import { type TProperties, Type } from '../typebox.js';
import { CacheLookupResult, CacheOrigin, CacheScope } from './cache.js';
import { FileRef, SchemaVersion, Timestamp, Token } from './common.js';
import { AttemptOutcome } from './outcome.js';

function event<T extends string, P extends TProperties>(type: T, fields: P) {
  return Type.Object({
    schema: SchemaVersion,
    type: Type.Literal(type),
    runId: Token,
    at: Timestamp,
    ...fields,
  });
}

/** How a job or run ended. */
export const FinalStatus = Type.Union([
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
]);

/** How a job or run ended. */
export type FinalStatus = Type.Static<typeof FinalStatus>;

/** A job of the project, as the controller read it from the bundle. */
export const JobOutline = Type.Object({
  name: Type.String(),
  needs: Type.Array(Type.String()),
});

/** Every event type, each with its own fields. */
export const EventSchemas = {
  'run.submitted': event('run.submitted', {
    file: Type.String(),
    bundleDigest: Type.String(),
    /**
     * The submission's sequence in its stream: only that message may
     * take the run over later, never a second submission of the run.
     */
    submissionSeq: Type.Optional(Type.Integer({ minimum: 1 })),
    /** The project's source files, so that `river retry` can send them. */
    sources: Type.Optional(Type.Array(FileRef)),
    /** Parameter values as given, for `river retry`. */
    params: Type.Optional(Type.Record(Type.String(), Type.String())),
    /** The run this one retries, reusing its successful tasks. */
    retryOf: Type.Optional(Token),
    /** Set for an untrusted run: the cache scope it writes to. */
    untrustedScope: Type.Optional(CacheScope),
    /** The run's priority, when it was given one. */
    priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
  }),
  'run.started': event('run.started', {
    project: Type.String(),
    jobs: Type.Array(JobOutline),
    controllerId: Type.String(),
  }),
  /** Another controller took the run over and replayed its history. */
  'run.resumed': event('run.resumed', {
    controllerId: Type.String(),
    /** How many events of the history the replay read. */
    replayedEvents: Type.Integer({ minimum: 0 }),
  }),
  'job.started': event('job.started', { job: Type.String() }),
  'job.log': event('job.log', {
    job: Type.String(),
    message: Type.String(),
  }),
  'job.finished': event('job.finished', {
    job: Type.String(),
    status: Type.Union([
      Type.Literal('succeeded'),
      Type.Literal('failed'),
      Type.Literal('skipped'),
    ]),
    durationMs: Type.Integer({ minimum: 0 }),
    error: Type.Optional(Type.String()),
  }),
  'task.requested': event('task.requested', {
    job: Type.String(),
    taskId: Token,
    name: Type.String(),
    command: Type.String(),
    pool: Token,
    /** SHA-256 of the task's whole spec, for replays to compare. */
    specDigest: Type.Optional(Type.String()),
  }),
  /**
   * What the cache held for a task: a hit (reused from `from`), a miss
   * (it runs; `changes` names what differs from its last request), or a
   * wait for an identical task that runs already.
   */
  'task.cache': event('task.cache', {
    taskId: Token,
    result: CacheLookupResult,
    key: Type.String(),
    /** For example `input src/util.c changed` or `env CFLAGS added`. */
    changes: Type.Array(Type.String()),
    from: Type.Optional(CacheOrigin),
  }),
  'task.dispatched': event('task.dispatched', {
    taskId: Token,
    attempt: Type.Integer({ minimum: 1 }),
    pool: Token,
    /** The labels offered by the sandboxes of the queue it went to. */
    labels: Type.Optional(Type.Array(Token)),
  }),
  /**
   * A task waits before its dispatch, and why: no live sandbox offers what
   * it asks for, or a concurrency limit is reached. Published once per
   * reason; its `task.dispatched` event ends the wait.
   */
  'task.queued': event('task.queued', {
    taskId: Token,
    attempt: Type.Integer({ minimum: 1 }),
    /** `no-sandbox` or `concurrency`. */
    cause: Type.Union([
      Type.Literal('no-sandbox'),
      Type.Literal('concurrency'),
    ]),
    reason: Type.String(),
  }),
  'task.started': event('task.started', {
    taskId: Token,
    attempt: Type.Integer({ minimum: 1 }),
    sandboxId: Type.String(),
  }),
  'task.retrying': event('task.retrying', {
    taskId: Token,
    /** The attempt about to be made. */
    attempt: Type.Integer({ minimum: 1 }),
    reason: Type.String(),
    /** How long the attempt waits for its backoff, when it does. */
    delayMs: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
  /** An attempt's sandbox stopped heartbeating; it counts as failed. */
  'task.lost': event('task.lost', {
    taskId: Token,
    attempt: Type.Integer({ minimum: 1 }),
    reason: Type.String(),
  }),
  /** A result that arrived for an attempt no longer current was dropped. */
  'task.result-ignored': event('task.result-ignored', {
    taskId: Token,
    attempt: Type.Integer({ minimum: 1 }),
    sandboxId: Type.String(),
    reason: Type.String(),
  }),
  /** Log chunks of an attempt are missing from the stored log. */
  'task.log-gap': event('task.log-gap', {
    taskId: Token,
    attempt: Type.Integer({ minimum: 1 }),
    /** First missing chunk sequence number. */
    fromSeq: Type.Integer({ minimum: 0 }),
    /** Last missing chunk sequence number. */
    toSeq: Type.Integer({ minimum: 0 }),
  }),
  'task.finished': event('task.finished', {
    job: Type.String(),
    taskId: Token,
    name: Type.String(),
    attempt: Type.Integer({ minimum: 1 }),
    outcome: AttemptOutcome,
    /** Set when the outcome was reused from the cache: where it came from. */
    cached: Type.Optional(CacheOrigin),
  }),
  'run.finished': event('run.finished', {
    status: FinalStatus,
    durationMs: Type.Integer({ minimum: 0 }),
    error: Type.Optional(Type.String()),
  }),
} as const;

/** The name of an event type, for example `task.finished`. */
export type RunEventType = keyof typeof EventSchemas;

/** Every event type's name. */
export const RUN_EVENT_TYPES = Object.keys(EventSchemas) as RunEventType[];

/** Any event of a run's history. */
export const RunEvent = Type.Union(Object.values(EventSchemas));

/** Any event of a run's history, discriminated by `type`. */
export type RunEvent = {
  [K in RunEventType]: Type.Static<(typeof EventSchemas)[K]>;
}[RunEventType];

/** The event of one type. */
export type RunEventOf<K extends RunEventType> = Extract<RunEvent, { type: K }>;
