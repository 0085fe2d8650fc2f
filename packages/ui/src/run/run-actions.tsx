/**
 * The operator's actions on a run: Cancel while it runs, Retry failed
 * once it failed or was cancelled. Each stays pending after the gateway
 * accepts it until the confirming event arrives over the live stream.
 */
import { isRunFinished, type RunSummary } from '@river/run-view';
import { useEffect, useState } from 'preact/hooks';
import { cancelRun, retryRun } from '../api/runs.js';
import { useLiveRecords } from '../api/use-live.js';
import { Link, runPath } from '../router.js';
import { useRole } from '../shell/session-context.js';

/** Props of {@link RunActions}. */
export interface RunActionsProps {
  summary: RunSummary;
}

type Pending =
  | { action: 'none' }
  | { action: 'cancel'; phase: 'sending' | 'waiting' }
  | { action: 'retry'; phase: 'sending' }
  | { action: 'retry'; phase: 'waiting'; newRunId: string };

/** Cancel and Retry failed, for operators only. */
export function RunActions({ summary }: RunActionsProps) {
  const role = useRole();
  const [pending, setPending] = useState<Pending>({ action: 'none' });
  const [error, setError] = useState<string | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  // Retries of this run seen on the stream; one may arrive before the
  // POST's answer, so they are kept whatever is pending.
  const [retries, setRetries] = useState<string[]>([]);
  const [confirmedRetry, setConfirmedRetry] = useState<string | undefined>();
  // Cancelling kills running tasks: it takes a second click to confirm.
  const [asking, setAsking] = useState(false);

  const finished = isRunFinished(summary.status);

  useLiveRecords(({ event }) => {
    if (event.type === 'run.submitted' && event.retryOf === summary.runId) {
      setRetries((known) => [...known, event.runId]);
    }
  });

  useEffect(() => {
    if (pending.action === 'cancel' && pending.phase === 'waiting') {
      if (finished) {
        setPending({ action: 'none' });
        setNotice(`Run ${summary.status}.`);
      }
    }
    if (pending.action === 'retry' && pending.phase === 'waiting') {
      if (retries.includes(pending.newRunId)) {
        setPending({ action: 'none' });
        setConfirmedRetry(pending.newRunId);
      }
    }
  }, [pending, finished, retries, summary.status]);

  if (role !== 'operator') return null;

  const cancel = async () => {
    setAsking(false);
    setError(undefined);
    setNotice(undefined);
    setPending({ action: 'cancel', phase: 'sending' });
    try {
      await cancelRun(summary.runId);
      setPending({ action: 'cancel', phase: 'waiting' });
    } catch (failure) {
      setPending({ action: 'none' });
      setError(`Cancel refused: ${(failure as Error).message}`);
    }
  };

  const retry = async () => {
    setError(undefined);
    setNotice(undefined);
    setConfirmedRetry(undefined);
    setPending({ action: 'retry', phase: 'sending' });
    try {
      const newRunId = await retryRun(summary.runId);
      setPending({ action: 'retry', phase: 'waiting', newRunId });
    } catch (failure) {
      setPending({ action: 'none' });
      setError(`Retry refused: ${(failure as Error).message}`);
    }
  };

  const canCancel = !finished;
  const canRetry =
    summary.status === 'failed' || summary.status === 'cancelled';
  const cancelling = pending.action === 'cancel';
  const retrying = pending.action === 'retry';

  return (
    <div class="run-actions">
      {asking && canCancel && !cancelling ? (
        <fieldset class="confirm">
          <legend>Kill its running tasks and skip the rest?</legend>
          <button type="button" class="danger" onClick={cancel}>
            Cancel the run
          </button>{' '}
          <button type="button" onClick={() => setAsking(false)}>
            Keep it running
          </button>
        </fieldset>
      ) : canCancel || cancelling ? (
        <button
          type="button"
          class="danger"
          onClick={() => setAsking(true)}
          disabled={pending.action !== 'none'}
        >
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      ) : null}
      {canRetry || retrying ? (
        <button
          type="button"
          onClick={retry}
          disabled={pending.action !== 'none'}
        >
          {retrying ? 'Retrying…' : 'Retry failed'}
        </button>
      ) : null}
      <p class="action-status" aria-live="polite">
        {notice}
        {confirmedRetry ? (
          <>
            Retry submitted:{' '}
            <Link href={runPath(confirmedRetry)} class="mono">
              {confirmedRetry}
            </Link>
          </>
        ) : null}
      </p>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
