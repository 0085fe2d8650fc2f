import { Type } from '../typebox.js';
import { SchemaVersion, Timestamp, Token } from './common.js';

/**
 * A sandbox's announcement of itself, the value of `<pool>.<sandboxId>`
 * in the sandboxes bucket. Each sandbox renews it every second; the
 * dispatching scheduler counts a sandbox gone when it stops renewing.
 */
export const SandboxPresence = Type.Object({
  schema: SchemaVersion,
  sandboxId: Type.String({ minLength: 1 }),
  pool: Token,
  /** The labels it offers, sorted; tasks asking for others go elsewhere. */
  labels: Type.Array(Token),
  /** Tasks it runs at once, as many as a sandbox may have. */
  slots: Type.Integer({ minimum: 1, maximum: 1_024 }),
  /** Tasks it holds now, running or being set up. */
  busy: Type.Integer({ minimum: 0 }),
  /** Set once it stops taking work: it finishes what it holds, then exits. */
  draining: Type.Boolean(),
  startedAt: Timestamp,
  /** When this announcement was made, by the sandbox's clock. */
  at: Timestamp,
});

/** A sandbox's announcement of itself. */
export type SandboxPresence = Type.Static<typeof SandboxPresence>;

/** One dispatch queue of a pool: the sandboxes offering one label set. */
export const QueueSummary = Type.Object({
  /** The labels its sandboxes offer, sorted; empty for none. */
  labels: Type.Array(Token),
  /** Live sandboxes, draining ones included. */
  sandboxes: Type.Integer({ minimum: 0 }),
  /** Slots of the live sandboxes that are not draining. */
  slots: Type.Integer({ minimum: 0 }),
  /** Tasks the sandboxes hold now, as they announced. */
  busy: Type.Integer({ minimum: 0 }),
  /** Tasks dispatched to the queue and not finished: running or queued. */
  dispatched: Type.Integer({ minimum: 0 }),
});

/** One dispatch queue of a pool. */
export type QueueSummary = Type.Static<typeof QueueSummary>;

/**
 * What the dispatching scheduler last saw of a pool, the value of
 * `pool.<pool>` in the schedulers bucket, renewed about every second.
 */
export const PoolSummary = Type.Object({
  schema: SchemaVersion,
  pool: Token,
  /** Tasks waiting in the scheduler for a slot, a sandbox or a limit. */
  waiting: Type.Integer({ minimum: 0 }),
  /** Of those, tasks no live sandbox of the pool offers the labels of. */
  unplaceable: Type.Integer({ minimum: 0 }),
  /** Of those, tasks held back by a concurrency limit. */
  limited: Type.Integer({ minimum: 0 }),
  queues: Type.Array(QueueSummary),
  /** The scheduler replica that wrote it. */
  scheduler: Type.String(),
  at: Timestamp,
});

/** What the dispatching scheduler last saw of a pool. */
export type PoolSummary = Type.Static<typeof PoolSummary>;

/** The dispatching scheduler's lease, the value of `dispatcher`. */
export const DispatcherLease = Type.Object({
  schema: SchemaVersion,
  /** The replica holding it. */
  holder: Type.String(),
  /** When the holder renewed it, by the holder's clock. */
  at: Timestamp,
});

/** The dispatching scheduler's lease. */
export type DispatcherLease = Type.Static<typeof DispatcherLease>;
