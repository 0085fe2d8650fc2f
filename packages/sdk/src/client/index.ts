/**
 * River's client: submit projects, watch runs, read logs.
 *
 * @example
 * ```ts
 * import { RiverClient } from '@river/sdk/client';
 * const client = await RiverClient.connect({ servers: process.env.NATS_URL! });
 * const { runId } = await client.submit('examples/clib/pipeline.ts');
 * for await (const event of client.watch(runId)) {
 *   if (event.type === 'run.finished') console.log(event.seq, event.status);
 * }
 * await client.close();
 * ```
 *
 * @packageDocumentation
 */

export type { LogUsage, RunEvent, StoredLogChunk } from '@river/protocol';
export type { ProjectBundle } from './bundler.js';
export { bundleProject } from './bundler.js';
export type {
  CacheVerdict,
  TaskCacheExplanation,
} from './cache-explanation.js';
export type { ClientOptions, SubmitOptions, SubmittedRun } from './client.js';
export { RiverClient } from './client.js';
export { BundleError, ConnectionError, RetryError } from './errors.js';
export type { EventsOptions } from './event-stream.js';
export type {
  LogLines,
  LogLinesOptions,
  LogSearchOptions,
  LogSearchResult,
} from './log-lines.js';
export type {
  LogOptions,
  LogRange,
  LogRangeOptions,
} from './log-reader.js';
export type { RetriedRun, RetryOptions } from './retry-submission.js';
export { RUN_STARTED_WAIT_MS } from './run-facts.js';
export { newRunId } from './run-id.js';
export type { WatchOptions } from './run-watch.js';
export { LATE_EVENTS_WAIT_MS } from './run-watch.js';
export type { SequencedEvent } from './sequenced-event.js';
export { uploadSources, workspacePathOf } from './sources.js';
export type { SequencedEventOf } from './stored-events.js';
