import { delay, type Logger } from '@river/protocol/internal';
import type { DeliveredMsg, JetStream } from './nats-types.js';

/** How long one pull waits for a task before it asks again. */
const PULL_EXPIRES_MS = 2_000;
/** Pause after a failed pull, so a missing server is not hammered. */
const PULL_RETRY_DELAY_MS = 1_000;

/** Options of {@link startSlotLoop}. */
export interface SlotLoopOptions {
  js: JetStream;
  stream: string;
  consumer: string;
  /** Messages handled at once. */
  slots: number;
  log: Logger;
  /** Handles one message, acking or naking it itself. Should not throw. */
  handle: (msg: DeliveredMsg) => Promise<void>;
}

/** A running pull loop. */
export interface SlotLoop {
  /** Messages in hand now: tasks running or being set up. */
  busy(): number;
  /**
   * Stops pulling at once (a pull already open may still bring one
   * message, which is handled) and waits for the messages in hand.
   */
  stop(): Promise<void>;
}

/**
 * Pulls one message per free slot from a durable consumer, so a sandbox
 * never holds a task it cannot start yet: while every slot is busy, other
 * sandboxes of the pool get the queue's tasks.
 */
export function startSlotLoop(options: SlotLoopOptions): SlotLoop {
  const { js, log } = options;
  const running = new Set<Promise<void>>();
  let free = options.slots;
  let stopping = false;
  let wake: (() => void) | undefined;

  function release(): void {
    free++;
    wake?.();
    wake = undefined;
  }

  async function slotFree(): Promise<void> {
    while (free === 0 && !stopping) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }

  function start(msg: DeliveredMsg): void {
    free--;
    const task: Promise<void> = options
      .handle(msg)
      .catch((error: unknown) => {
        log.error(
          { subject: msg.subject, err: error },
          'Task handler failed unexpectedly',
        );
      })
      .finally(() => {
        running.delete(task);
        release();
      });
    running.add(task);
  }

  async function loop(): Promise<void> {
    let consumer: Awaited<ReturnType<JetStream['consumers']['get']>> | null =
      null;
    let failing = false;
    while (!stopping) {
      await slotFree();
      if (stopping) {
        break;
      }

      let msg: DeliveredMsg | null;
      try {
        consumer ??= await js.consumers.get(options.stream, options.consumer);
        msg = await consumer.next({ expires: PULL_EXPIRES_MS });
        failing = false;
      } catch (error) {
        consumer = null;
        if (!stopping && !failing) {
          log.warn(
            { stream: options.stream, consumer: options.consumer, err: error },
            'Pulling tasks failed; retrying',
          );
        }
        failing = true;
        await delay(PULL_RETRY_DELAY_MS);
        continue;
      }

      if (msg === null) {
        continue;
      }
      // A pull still open when the loop stopped can bring one more task.
      // It is handled all the same (the handler hands it back), because a
      // nak would count as a delivery and its next holder would report
      // the attempt lost.
      start(msg);
    }
  }

  const looping = loop();
  return {
    busy: () => options.slots - free,
    async stop() {
      stopping = true;
      wake?.();
      await looping;
      await Promise.allSettled([...running]);
    },
  };
}
