#!/usr/bin/env node
import { createServiceLogger } from '@river/protocol/internal';
import { loadSandboxConfig, type SandboxConfig } from './config.js';
import { killAllTaskGroups } from './process-group.js';
import { type RunningSandbox, startSandbox } from './sandbox.js';

let config: SandboxConfig;
try {
  config = loadSandboxConfig();
} catch (error) {
  // LOG_LEVEL itself may be the bad setting, so this logger ignores it.
  createServiceLogger('sandbox', 'info').error(
    { err: error },
    'Sandbox failed to start',
  );
  process.exit(1);
}

const log = createServiceLogger('sandbox', config.logLevel);
let sandbox: RunningSandbox;
try {
  sandbox = await startSandbox(config, { log });
} catch (error) {
  log.error({ err: error }, 'Sandbox failed to start');
  process.exit(1);
}

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    log.warn({ signal }, 'Stopping at once; running tasks are killed');
    process.exit(1);
  }
  stopping = true;
  log.info({ signal }, 'Signal received; finishing running tasks');
  await sandbox.close();
  process.exit(0);
}

// However the sandbox ends, no task process may outlive it.
process.on('exit', killAllTaskGroups);
process.on('SIGINT', (signal) => void stop(signal));
process.on('SIGTERM', (signal) => void stop(signal));
