import type { JsMsg } from '@nats-io/jetstream';

/**
 * A controller's hold on a run: the run's submission message, kept
 * unacknowledged while the run lasts and renewed with `working()`. If the
 * controller dies, the renewals stop, JetStream hands the submission to
 * another controller after the ack wait, and that one replays the run.
 */
export class SubmissionLease {
  // Every delivery of the run's submission this controller holds: a
  // redelivery, or the same submission published again by a client.
  readonly #msgs: JsMsg[];
  readonly #timer: NodeJS.Timeout;
  #completed = false;

  /**
   * Holds `msg`, renewing it three times per `leaseMs`. When a renewal
   * comes too late (the process was paused or starved for about a lease),
   * JetStream may already have handed the run to another controller, so
   * `onLost` is called and renewing stops.
   */
  constructor(msg: JsMsg, leaseMs: number, onLost: () => void) {
    this.#msgs = [msg];
    let renewedAt = Date.now();
    this.#timer = setInterval(
      () => {
        const now = Date.now();
        if (now - renewedAt > leaseMs * 0.9) {
          clearInterval(this.#timer);
          onLost();
          return;
        }
        renewedAt = now;
        for (const held of this.#msgs) {
          held.working();
        }
      },
      Math.floor(leaseMs / 3),
    );
    this.#timer.unref();
  }

  /**
   * Holds another delivery of the same run's submission as well: a
   * redelivery (this controller was slow to renew but still drives the
   * run) or a client's second publish. A run that has already ended is
   * done with it at once.
   */
  add(msg: JsMsg): void {
    if (this.#completed) {
      msg.ack();
      return;
    }
    this.#msgs.push(msg);
    msg.working();
  }

  /** The run has ended: every delivery of its submission is done with. */
  complete(): void {
    clearInterval(this.#timer);
    this.#completed = true;
    for (const held of this.#msgs) {
      held.ack();
    }
  }

  /** Hands the run to another controller at once (a clean shutdown). */
  giveBack(): void {
    clearInterval(this.#timer);
    for (const held of this.#msgs) {
      held.nak();
    }
  }

  /** Another controller holds the run now; stop renewing. */
  drop(): void {
    clearInterval(this.#timer);
  }
}
