/**
 * River's sandbox service: pulls a pool's tasks from NATS JetStream, runs
 * each attempt in a scratch workspace, streams its logs and reports its
 * outcome.
 *
 * @example
 * ```ts
 * import { loadSandboxConfig, startSandbox } from '@river/sandbox';
 * const sandbox = await startSandbox(loadSandboxConfig());
 * process.once('SIGTERM', () => void sandbox.close());
 * ```
 *
 * @packageDocumentation
 */

export type { SandboxConfig } from './config.js';
export {
  DEFAULT_DRAIN_GRACE_MS,
  DEFAULT_SLOTS,
  DEFAULT_TASK_LOST_MS,
  loadSandboxConfig,
} from './config.js';
export {
  AttemptFailedError,
  ConfigError,
  SandboxError,
  SandboxErrorCode,
} from './errors.js';
export type { RunningSandbox, SandboxOptions } from './sandbox.js';
export { DISPATCH_ACK_WAIT_MS, startSandbox } from './sandbox.js';
