/**
 * What a run looks like from its events, for the gateway and the web UI
 * alike: no dependency on Node or on the browser.
 *
 * @packageDocumentation
 */
export {
  type AttemptState,
  type EventRecord,
  foldRun,
  foldSummary,
  isRunFinished,
  type JobState,
  type JobStatus,
  type RunDetail,
  type RunStatus,
  type RunSummary,
  type SequencedRecord,
  type TaskState,
  type TaskStatus,
} from './run-state.js';
export type { StyledSpan, TextStyle } from './terminal-text.js';
export { styledSpans, visibleText } from './terminal-text.js';
