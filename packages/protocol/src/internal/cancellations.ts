import type { KV } from '@nats-io/kv';
import { decode } from '../codec.js';
import { Buckets } from '../subjects.js';
import type { Logger } from './logger.js';
import type { RiverConnection } from './nats.js';

/** How long a cancellation is remembered: longer than any run lasts. */
const CANCEL_TTL_MS = 7 * 24 * 60 * 60 * 1_000;

/** Opens (creating if needed) the bucket of cancelled runs. */
export function openCancels(connection: RiverConnection): Promise<KV> {
  return connection.kvm.create(Buckets.cancels, { ttl: CANCEL_TTL_MS });
}

/**
 * Keeps the set of cancellations current from the cancels bucket and
 * calls `onCancel` for each one (also those made before it started). A
 * key is a run id (the whole run) or `<runId>.<taskId>` (one task).
 */
export class CancelWatch {
  readonly #cancelled = new Map<string, string>();
  readonly #stop: () => void;

  private constructor(stop: () => void) {
    this.#stop = stop;
  }

  /** Starts watching; resolves once the existing entries were read. */
  static async start(
    connection: RiverConnection,
    log: Logger,
    onCancel: (runId: string, reason: string) => void = () => undefined,
  ): Promise<CancelWatch> {
    const kv = await openCancels(connection);
    const watcher = await kv.watch();
    const watch = new CancelWatch(() => watcher.stop());
    void (async () => {
      for await (const entry of watcher) {
        if (entry.operation !== 'PUT') {
          continue;
        }
        try {
          const request = decode('cancellation', entry.key, entry.value);
          watch.#cancelled.set(entry.key, request.reason);
          onCancel(entry.key, request.reason);
        } catch (error) {
          log.warn(
            { subject: `${Buckets.cancels}.${entry.key}`, err: error },
            'Ignored malformed cancellation',
          );
        }
      }
    })();
    return watch;
  }

  /** Why a run or task (`<runId>.<taskId>`) was cancelled, if it was. */
  reasonFor(key: string): string | undefined {
    return this.#cancelled.get(key);
  }

  /** Stops watching. */
  stop(): void {
    this.#stop();
  }
}
