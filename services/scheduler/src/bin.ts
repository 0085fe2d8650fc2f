#!/usr/bin/env node
import { createServiceLogger, type Logger } from '@river/protocol/internal';
import { loadSchedulerConfig } from './config.js';
import { type Scheduler, startScheduler } from './scheduler.js';

let log: Logger | undefined;
let scheduler: Scheduler;
try {
  const config = loadSchedulerConfig();
  log = createServiceLogger('scheduler', config.logLevel);
  scheduler = await startScheduler(config, { log });
} catch (error) {
  (log ?? createServiceLogger('scheduler', 'info')).fatal(
    { err: error },
    'Scheduler failed to start',
  );
  process.exit(1);
}

async function shutDown(signal: NodeJS.Signals): Promise<void> {
  log?.info({ signal }, 'Shutting down');
  await scheduler.close();
  process.exit(0);
}

process.once('SIGINT', (signal) => void shutDown(signal));
process.once('SIGTERM', (signal) => void shutDown(signal));
