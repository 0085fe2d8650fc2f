/**
 * River's log-collector: indexes the log chunks that sandboxes store in the
 * logs stream (counts, gaps, completion per task attempt) and answers log
 * queries with pages of chunks, lines or search counts read back from that
 * stream.
 *
 * @example
 * ```ts
 * import {
 *   loadLogCollectorConfig,
 *   startLogCollector,
 * } from '@river/log-collector';
 * const collector = await startLogCollector(loadLogCollectorConfig());
 * await collector.close();
 * ```
 *
 * @packageDocumentation
 */

export { LogCollectorConfig, loadLogCollectorConfig } from './config.js';
export {
  ConfigError,
  IndexContendedError,
  LogCollectorError,
  LogCollectorErrorCode,
} from './errors.js';
export { MAX_LINES_TEXT_BYTES } from './line-collector.js';
export { DEFAULT_MAX_HITS } from './line-search.js';
export type { LogCollector, LogCollectorOptions } from './log-collector.js';
export { startLogCollector } from './log-collector.js';
export { DEFAULT_LINES } from './log-lines.js';
export { DEFAULT_PAGE_BYTES, MAX_PAGE_BYTES } from './log-page.js';
export { QUERY_QUEUE_GROUP } from './query-server.js';
