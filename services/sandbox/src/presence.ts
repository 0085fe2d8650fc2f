import type { KV } from '@nats-io/kv';
import { type SandboxPresence, SCHEMA_VERSION } from '@river/protocol';
import { encodeJsonValue, type Logger } from '@river/protocol/internal';

/** How often a sandbox renews its announcement. */
export const PRESENCE_RENEW_MS = 1_000;

/** What a sandbox announces besides what its settings fix. */
export interface PresenceSource {
  /** Tasks it holds now. */
  busy(): number;
  /** Whether it has stopped taking work. */
  draining(): boolean;
}

/**
 * The key of a sandbox in the sandboxes bucket: `<pool>.<id>`, with any
 * character a key token cannot hold in the id replaced by `_`.
 */
export function presenceKey(pool: string, sandboxId: string): string {
  return `${pool}.${sandboxId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/**
 * Announces a sandbox in the sandboxes bucket every second, so that the
 * dispatching scheduler knows its pool, labels and slots, sends tasks its
 * way and counts it gone when the announcements stop. A failed renewal
 * is logged and tried again on the next tick: the sandbox keeps working.
 */
export class Presence {
  readonly #kv: KV;
  readonly #key: string;
  readonly #fixed: Omit<SandboxPresence, 'busy' | 'draining' | 'at'>;
  readonly #source: PresenceSource;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #failing = false;

  constructor(
    kv: KV,
    sandbox: {
      sandboxId: string;
      pool: string;
      labels: string[];
      slots: number;
    },
    source: PresenceSource,
    log: Logger,
  ) {
    this.#kv = kv;
    this.#key = presenceKey(sandbox.pool, sandbox.sandboxId);
    this.#fixed = { schema: SCHEMA_VERSION, ...sandbox, startedAt: Date.now() };
    this.#source = source;
    this.#log = log;
  }

  /** Announces now, then every {@link PRESENCE_RENEW_MS}. */
  async start(): Promise<void> {
    await this.renew();
    const tick = () => {
      void this.renew().finally(() => {
        if (this.#timer !== undefined) {
          this.#timer = setTimeout(tick, PRESENCE_RENEW_MS);
        }
      });
    };
    this.#timer = setTimeout(tick, PRESENCE_RENEW_MS);
  }

  /** Announces the current state at once, for example on draining. */
  async renew(): Promise<void> {
    const presence: SandboxPresence = {
      ...this.#fixed,
      busy: this.#source.busy(),
      draining: this.#source.draining(),
      at: Date.now(),
    };
    try {
      await this.#kv.put(this.#key, encodeJsonValue(presence));
      if (this.#failing) {
        this.#failing = false;
        this.#log.info({ key: this.#key }, 'Announcing this sandbox again');
      }
    } catch (error) {
      if (!this.#failing) {
        this.#failing = true;
        this.#log.warn(
          { key: this.#key, err: error },
          'Could not announce this sandbox; the scheduler counts it gone ' +
            'after three seconds without an announcement',
        );
      }
    }
  }

  /** Stops announcing and removes the announcement. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#kv.delete(this.#key).catch(() => undefined);
  }
}
