import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { CacheReuse, RunEvent, RunEventOf } from '@river/protocol';
import type { Logger } from '@river/protocol/internal';
import { RunFeed } from './run-feed.js';
import { submittedEvent } from './submitted-event.js';

/**
 * The successful tasks of a run that another run retries: a task of the
 * retry whose id and spec match one of them reuses its outcome instead of
 * running again.
 */
export class RetrySource {
  readonly #runId: string;
  readonly #specDigests = new Map<string, string>();
  readonly #succeeded = new Map<string, RunEventOf<'task.finished'>>();

  private constructor(runId: string) {
    this.#runId = runId;
  }

  /**
   * Reads the history of run `runId`, retried by a run of the cache scope
   * `untrustedScope` (undefined for a trusted run). An untrusted run's
   * results stay in its own scope: retried from any other, it offers none.
   *
   * @throws Error when the run has no history to read.
   */
  static async load(
    js: JetStreamClient,
    jsm: JetStreamManager,
    runId: string,
    untrustedScope: string | undefined,
    log: Logger,
  ): Promise<RetrySource> {
    const submitted = await submittedEvent(jsm, runId);
    if (submitted === undefined) {
      throw new Error(
        `run ${runId}, which this run retries, has no history: it never ` +
          'ran, or its events are past their retention',
      );
    }
    const source = new RetrySource(runId);
    const retriedScope = submitted.untrustedScope;
    if (retriedScope !== undefined && retriedScope !== untrustedScope) {
      log.info(
        { retryOf: runId, retriedScope, untrustedScope },
        'Not reusing the results of a retried run of another cache scope',
      );
      return source;
    }
    const feed = new RunFeed(
      js,
      runId,
      { onEvent: (event) => source.#note(event) },
      log,
    );
    try {
      await feed.caughtUp;
    } finally {
      await feed.close();
    }
    return source;
  }

  #note(event: RunEvent): void {
    if (event.type === 'task.requested' && event.specDigest !== undefined) {
      this.#specDigests.set(event.taskId, event.specDigest);
    } else if (event.type === 'task.finished' && event.outcome.ok) {
      this.#succeeded.set(event.taskId, event);
    }
  }

  /**
   * The retried run's successful outcome of task `taskId` when its spec
   * had the digest `specDigest`, with where it first came from.
   */
  reuseFor(taskId: string, specDigest: string): CacheReuse | undefined {
    const finished = this.#succeeded.get(taskId);
    if (
      finished === undefined ||
      this.#specDigests.get(taskId) !== specDigest
    ) {
      return undefined;
    }
    return {
      // A task the retried run took from the cache points at its source.
      origin: finished.cached ?? {
        runId: this.#runId,
        taskId,
        attempt: finished.attempt,
        finishedAt: finished.at,
      },
      outcome: finished.outcome,
    };
  }
}
