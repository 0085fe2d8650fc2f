/** The attempt picker, shown when the task ran more than once. */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { fetchTaskAttempts } from './log-api.js';

/** Props of {@link AttemptPicker}. */
export interface AttemptPickerProps {
  runId: string;
  taskId: string;
  /** The attempt shown, once known. */
  attempt: number | undefined;
  onChange: (attempt: number) => void;
}

/** A select of the task's attempts; nothing for a single attempt. */
export function AttemptPicker(props: AttemptPickerProps): JSX.Element | null {
  const { runId, taskId, attempt, onChange } = props;
  const [attempts, setAttempts] = useState<number[]>([]);

  useEffect(() => {
    const controller = new AbortController();
    fetchTaskAttempts(runId, taskId, controller.signal)
      .then(setAttempts)
      .catch(() => {
        // Without the run's detail the picker stays hidden; the log
        // itself still shows.
      });
    return () => controller.abort();
  }, [runId, taskId]);

  if (attempts.length < 2) {
    return null;
  }
  return (
    <label class="log-attempt">
      Attempt
      <select
        value={attempt === undefined ? '' : String(attempt)}
        onChange={(event) => onChange(Number(event.currentTarget.value))}
      >
        {attempts.map((number) => (
          <option key={number} value={String(number)}>
            {number}
          </option>
        ))}
      </select>
    </label>
  );
}
