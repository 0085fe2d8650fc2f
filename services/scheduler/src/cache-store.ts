import type { JetStreamClient } from '@nats-io/jetstream';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import {
  type AttemptOutcome,
  CacheEntry,
  CacheFlight,
  CacheLastRequest,
  type CacheOrigin,
  type CacheReuse,
  cacheEntryKey,
  cacheFlightKey,
  cacheLastRequestKey,
  SCHEMA_VERSION,
  type TaskCache,
} from '@river/protocol';
import { encodeJsonValue, parseJsonValue } from '@river/protocol/internal';
import type { TSchema, Type } from '@river/protocol/typebox';
import { checkBlobs } from './blob-check.js';

/** What the cache holds for a task request. */
export interface CacheFinding {
  /** The outcome to reuse, when there is one whose files all check out. */
  hit?: CacheReuse;
  /** Why a result recorded under the key could not be reused. */
  unusable?: string;
}

/**
 * The task cache as schedulers keep it: recorded results, each task's last
 * request, and flights (which task runs a key now). Only schedulers write
 * here; a sandbox's NATS user may not.
 */
export class CacheStore {
  readonly #js: JetStreamClient;
  readonly #entries: KV;
  readonly #flights: KV;
  readonly #artifacts: ObjectStore;
  /** Tasks this scheduler has said wait, by run and task id. */
  readonly #waitsAnnounced = new Set<string>();

  constructor(
    js: JetStreamClient,
    entries: KV,
    flights: KV,
    artifacts: ObjectStore,
  ) {
    this.#js = js;
    this.#entries = entries;
    this.#flights = flights;
    this.#artifacts = artifacts;
  }

  /**
   * Finds a reusable outcome: the retried run's (when the request offers
   * one), else a live entry of the run's own scope, else (for an untrusted
   * run) of the trusted scope. An outcome counts only when every one of its
   * files is in the artifact store and matches its digest.
   */
  async find(cache: TaskCache, now = Date.now()): Promise<CacheFinding> {
    let unusable: string | undefined;
    if (cache.reuse !== undefined) {
      const problem = await this.#checkFiles(cache.reuse.outcome);
      if (problem === undefined) {
        return { hit: cache.reuse };
      }
      unusable = `the retried run's result cannot be reused: ${problem}`;
    }
    if (!cache.use) {
      return unusable === undefined ? {} : { unusable };
    }
    const scopes =
      cache.untrustedScope === undefined
        ? [undefined]
        : [cache.untrustedScope, undefined];
    for (const scope of scopes) {
      const found = await this.#entries.get(cacheEntryKey(cache.key, scope));
      if (found === null || found.operation !== 'PUT') {
        continue;
      }
      const entry = parseJsonValue(found.value, CacheEntry);
      if (entry === undefined) {
        // Replaced once the task has run.
        unusable = 'the result recorded for this key is unreadable';
        continue;
      }
      if (entry.expiresAt <= now) {
        unusable = 'the result recorded for this key has expired';
        continue;
      }
      // The asking task's time-to-live limits reuse as well.
      if (entry.recordedAt + cache.ttlMs <= now) {
        unusable =
          "the result recorded for this key is older than the task's " +
          `ttlMs (${cache.ttlMs} ms)`;
        continue;
      }
      const problem = await this.#checkFiles(entry.outcome);
      if (problem !== undefined) {
        unusable = `the result recorded for this key is unusable: ${problem}`;
        continue;
      }
      return { hit: { origin: entry.origin, outcome: entry.outcome } };
    }
    return unusable === undefined ? {} : { unusable };
  }

  /**
   * Records a successful outcome under the request's key, in the run's own
   * scope, after reading its files back and hashing them.
   *
   * @returns undefined once recorded, otherwise why it was not.
   */
  async record(
    cache: TaskCache,
    origin: CacheOrigin,
    outcome: AttemptOutcome,
    now = Date.now(),
  ): Promise<string | undefined> {
    const problem = await this.#checkFiles(outcome);
    if (problem !== undefined) {
      return problem;
    }
    const entry: CacheEntry = {
      schema: SCHEMA_VERSION,
      key: cache.key,
      parts: cache.parts,
      origin,
      outcome,
      recordedAt: now,
      expiresAt: now + cache.ttlMs,
      bytes: outcome.files.reduce((total, file) => total + file.size, 0),
    };
    await this.#entries.put(
      cacheEntryKey(cache.key, cache.untrustedScope),
      encodeJsonValue(entry),
    );
    return undefined;
  }

  /**
   * The task's last request, of the run's own scope or else the trusted
   * one, to explain a miss against.
   */
  async lastRequest(cache: TaskCache): Promise<CacheLastRequest | undefined> {
    const own = cacheLastRequestKey(cache.identity, cache.untrustedScope);
    const found = await this.#read(own, CacheLastRequest);
    if (found !== undefined || cache.untrustedScope === undefined) {
      return found;
    }
    return this.#read(cacheLastRequestKey(cache.identity), CacheLastRequest);
  }

  /** Remembers this request as the task's last one, in its own scope. */
  async noteRequest(
    cache: TaskCache,
    task: { runId: string; taskId: string },
  ): Promise<void> {
    const last: CacheLastRequest = {
      schema: SCHEMA_VERSION,
      runId: task.runId,
      taskId: task.taskId,
      key: cache.key,
      parts: cache.parts,
      at: Date.now(),
    };
    await this.#entries.put(
      cacheLastRequestKey(cache.identity, cache.untrustedScope),
      encodeJsonValue(last),
    );
  }

  /**
   * Claims the key for this task, so that identical requests wait for it.
   * A key held by a task that `abandoned` says will never let go (its run
   * was cancelled) is taken over.
   *
   * @returns 'taken' when this task holds the key (again, after a
   *   redelivery), otherwise the task that holds it.
   */
  async takeFlight(
    cache: TaskCache,
    task: { runId: string; taskId: string },
    abandoned: (holder: CacheFlight) => boolean,
  ): Promise<'taken' | CacheFlight> {
    const key = cacheFlightKey(cache.key, cache.untrustedScope);
    const flight = encodeJsonValue({
      ...task,
      since: Date.now(),
    } as CacheFlight);
    for (;;) {
      const found = await this.#flights.get(key);
      const held = found !== null && found.operation === 'PUT';
      if (held) {
        const holder = parseJsonValue(found.value, CacheFlight);
        if (holder !== undefined) {
          if (holder.runId === task.runId && holder.taskId === task.taskId) {
            return 'taken';
          }
          if (!abandoned(holder)) {
            return holder;
          }
        }
      }
      try {
        // An unreadable or abandoned record is replaced: no task would
        // ever let go of it.
        await (held
          ? this.#flights.update(key, flight, found.revision)
          : this.#flights.create(key, flight));
        return 'taken';
      } catch (error) {
        // Another task claimed the key meanwhile: read which.
        if (!isConflict(error)) {
          throw error;
        }
      }
    }
  }

  /** Lets go of the key, if this task holds it, for a waiter to take. */
  async releaseFlight(
    cache: TaskCache,
    task: { runId: string; taskId: string },
  ): Promise<void> {
    const key = cacheFlightKey(cache.key, cache.untrustedScope);
    const found = await this.#flights.get(key);
    if (found === null || found.operation !== 'PUT') {
      return;
    }
    const holder = parseJsonValue(found.value, CacheFlight);
    if (holder?.runId !== task.runId || holder.taskId !== task.taskId) {
      return;
    }
    try {
      await this.#flights.delete(key, { previousSeq: found.revision });
    } catch (error) {
      // Another scheduler released it first.
      if (!isConflict(error)) {
        throw error;
      }
    }
  }

  /**
   * Whether this scheduler has said that the task waits: a waiting task's
   * request comes back every `CACHE_WAIT_POLL_MS`, and the events stream
   * forgets an event's message id after a few minutes.
   */
  waitAnnounced(task: { runId: string; taskId: string }): boolean {
    return this.#waitsAnnounced.has(`${task.runId}.${task.taskId}`);
  }

  /** Notes that the task's wait has been said. */
  noteWaitAnnounced(task: { runId: string; taskId: string }): void {
    this.#waitsAnnounced.add(`${task.runId}.${task.taskId}`);
  }

  /** Forgets the task's wait, once it no longer waits. */
  forgetWait(task: { runId: string; taskId: string }): void {
    this.#waitsAnnounced.delete(`${task.runId}.${task.taskId}`);
  }

  #checkFiles(outcome: AttemptOutcome): Promise<string | undefined> {
    return checkBlobs(this.#js, this.#artifacts, outcome.files);
  }

  async #read<S extends TSchema>(
    key: string,
    schema: S,
    kv: KV = this.#entries,
  ): Promise<Type.Static<S> | undefined> {
    const found = await kv.get(key);
    if (found === null || found.operation !== 'PUT') {
      return undefined;
    }
    return parseJsonValue(found.value, schema);
  }
}

function isConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
