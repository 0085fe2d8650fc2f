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

  /** Holds `msg`, renewing it every `renewEveryMs`. */
  constructor(msg: JsMsg, renewEveryMs: number) {
    this.#msg = msg;
    this.#timer = setInterval(() => this.#msg.working(), renewEveryMs);
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
