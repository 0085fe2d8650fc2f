/**
 * The log viewer of a task attempt, for the app's
 * `/runs/<runId>/tasks/<taskId>/log?attempt=n` route.
 *
 * @example
 * ```tsx
 * <LogViewer runId={runId} taskId={taskId} attempt={2} />
 * ```
 */
export type { LogViewerProps } from './log-viewer.js';
export { LogViewer } from './log-viewer.js';
