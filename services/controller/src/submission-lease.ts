import type { JsMsg } from '@nats-io/jetstream';

/**
 * A controller's hold on a run: the run's submission message, kept
 * unacknowledged while the run lasts and renewed with `working()`. If the
 * controller dies, the renewals stop, JetStream hands the submission to
 * another controller after the ack wait, and that one replays the run.
 */
export class SubmissionLease {
  #msg: JsMsg;
  readonly #timer: NodeJS.Timeout;

  /**
   * Holds `msg`, renewing it three times per `leaseMs`. When a renewal
   * comes too late (the process was paused or starved for about a lease),
   * JetStream may already have handed the run to another controller, so
   * `onLost` is called and renewing stops.
   */
  constructor(msg: JsMsg, leaseMs: number, onLost: () => void) {
    this.#msg = msg;
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
        this.#msg.working();
      },
      Math.floor(leaseMs / 3),
    );
    this.#timer.unref();
  }

  /**
   * Holds a redelivery of the same submission instead: this controller was
   * too slow to renew, but still drives the run.
   */
  replace(msg: JsMsg): void {
    this.#msg = msg;
    msg.working();
  }

  /** The run has ended: the submission is done with. */
  complete(): void {
    clearInterval(this.#timer);
    this.#msg.ack();
  }

  /** Hands the run to another controller at once (a clean shutdown). */
  giveBack(): void {
    clearInterval(this.#timer);
    this.#msg.nak();
  }

  /** Another controller holds the run now; stop renewing. */
  drop(): void {
    clearInterval(this.#timer);
  }
}
