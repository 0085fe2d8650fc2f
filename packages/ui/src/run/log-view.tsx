/**
 * Where the log viewer goes. Until it is part of the app, the last lines
 * of the log show as plain text, with a link to the whole log.
 */
import { useEffect, useState } from 'preact/hooks';
import { queryString, requestJson } from '../api/http.js';

/** Props of {@link LogView}, the same as the log viewer's. */
export interface LogViewProps {
  runId: string;
  taskId: string;
  attempt?: number | undefined;
}

interface LogAnswer {
  lines: string[];
  totalLines: number;
}

/** The log's last lines. */
export function LogView({ runId, taskId, attempt }: LogViewProps) {
  const [log, setLog] = useState<LogAnswer | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const base = `/api/runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(
    taskId,
  )}/log`;

  useEffect(() => {
    requestJson<LogAnswer>(
      'GET',
      `${base}${queryString({ attempt, tail: 500 })}`,
    ).then(setLog, (failure: Error) => setError(failure.message));
  }, [base, attempt]);

  if (error) return <p class="error">The log could not be read: {error}</p>;
  if (!log) return <p>Loading the log…</p>;
  return (
    <div>
      <p>
        {log.totalLines} lines.{' '}
        <a href={`${base}/raw${queryString({ attempt })}`}>Download</a>
      </p>
      <pre class="log-text">{log.lines.join('\n')}</pre>
    </div>
  );
}
