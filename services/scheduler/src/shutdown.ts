// One implementation of the shutdown steps serves every service;
// scheduler.ts imports it through this module.
export { runShutdown, type ShutdownStep } from '@river/protocol/internal';
