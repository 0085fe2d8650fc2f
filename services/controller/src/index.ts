/**
 * River's controller: takes run submissions, runs their job logic isolated
 * from itself and owns each run's state and events.
 *
 * @packageDocumentation
 */
export { ControllerConfig, loadControllerConfig } from './config.js';
export type { RunningController } from './controller.js';
export { startController } from './controller.js';
