#!/usr/bin/env node
import { createServiceLogger, type Logger } from '@river/protocol/internal';
import { loadLogCollectorConfig } from './config.js';
import { type LogCollector, startLogCollector } from './log-collector.js';

let log: Logger | undefined;
let collector: LogCollector;
try {
  const config = loadLogCollectorConfig();
  log = createServiceLogger('log-collector', config.logLevel);
  collector = await startLogCollector(config, { log });
} catch (error) {
  (log ?? createServiceLogger('log-collector', 'info')).fatal(
    { err: error },
    'Log-collector failed to start',
  );
  process.exit(1);
}

async function shutDown(signal: NodeJS.Signals): Promise<void> {
  log?.info({ signal }, 'Shutting down');
  await collector.close();
  process.exit(0);
}

process.once('SIGINT', (signal) => void shutDown(signal));
process.once('SIGTERM', (signal) => void shutDown(signal));
