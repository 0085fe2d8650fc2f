/**
 * River's scheduler: places task requests on their pool's dispatch queue,
 * retries failed attempts while attempts are left and reports each task's
 * final outcome as a `task.finished` event.
 *
 * @example
 * ```ts
 * import { loadSchedulerConfig, startScheduler } from '@river/scheduler';
 * const scheduler = await startScheduler(loadSchedulerConfig());
 * await scheduler.close();
 * ```
 *
 * @packageDocumentation
 */

export { loadSchedulerConfig, SchedulerConfig } from './config.js';
export {
  ConfigError,
  SchedulerError,
  SchedulerErrorCode,
  TaskEntryError,
} from './errors.js';
export type { Scheduler, SchedulerOptions } from './scheduler.js';
export { startScheduler } from './scheduler.js';
