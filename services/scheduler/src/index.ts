/**
 * River's scheduler: places task requests on their pool's dispatch queue,
 * retries failed and lost attempts while attempts are left, dispatches
 * handed-back attempts again, and reports each task's final outcome as a
 * `task.finished` event.
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

export {
  DEFAULT_SCHEDULER_ACK_WAIT_MS,
  DEFAULT_TASK_TTL_DAYS,
  loadSchedulerConfig,
  SchedulerConfig,
} from './config.js';
export {
  ConfigError,
  SchedulerError,
  SchedulerErrorCode,
  TaskEntryError,
} from './errors.js';
export type { Scheduler, SchedulerOptions } from './scheduler.js';
export { startScheduler } from './scheduler.js';
