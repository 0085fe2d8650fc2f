/**
 * River's client: submit projects, watch runs, read logs.
 *
 * @example
 * ```ts
 * import { RiverClient } from '@river/sdk/client';
 * const client = await RiverClient.connect({ servers: process.env.NATS_URL! });
 * const { runId } = await client.submit('examples/clib/pipeline.ts');
 * for await (const event of client.watch(runId)) {
 *   if (event.type === 'run.finished') console.log(event.status);
 * }
 * await client.close();
 * ```
 *
 * @packageDocumentation
 */

export type { RunEvent, StoredLogChunk } from '@river/protocol';
export type { ProjectBundle } from './bundler.js';
export { bundleProject } from './bundler.js';
export type {
  ClientOptions,
  LogOptions,
  SubmitOptions,
  SubmittedRun,
  WatchOptions,
} from './client.js';
export { RiverClient } from './client.js';
export { BundleError, ConnectionError } from './errors.js';
export { newRunId } from './run-id.js';
export { uploadSources, workspacePathOf } from './sources.js';
