/**
 * A page for developing and measuring the log viewer alone, against any
 * server that answers the log routes: `log-demo.html?run=r&task=t`.
 * Not part of the production build (its input is index.html only).
 */
import { render } from 'preact';
import { LogViewer } from './index.js';

const query = new URLSearchParams(location.search);
const attempt = query.get('attempt');
const root = document.getElementById('log-demo');
if (root) {
  render(
    <LogViewer
      runId={query.get('run') ?? 'demo-run'}
      taskId={query.get('task') ?? 'demo-task'}
      {...(attempt ? { attempt: Number(attempt) } : {})}
    />,
    root,
  );
}
