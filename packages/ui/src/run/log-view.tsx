/** Where the log viewer goes in the app: the log page renders it. */
export type { LogViewerProps as LogViewProps } from '../logs/index.js';
export { LogViewer as LogView } from '../logs/index.js';
