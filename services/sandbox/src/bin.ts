#!/usr/bin/env node
import { runService } from '@river/protocol/internal';
import { loadSandboxConfig } from './config.js';
import { killAllTaskGroups } from './process-group.js';
import { startSandbox } from './sandbox.js';
import { removeLiveWorkspacesSync } from './workspace.js';

// However the sandbox ends, no task process or workspace may outlive it.
process.on('exit', () => {
  killAllTaskGroups();
  removeLiveWorkspacesSync();
});

await runService({
  name: 'sandbox',
  loadConfig: loadSandboxConfig,
  start: startSandbox,
  stopAtOnceMessage: 'Stopping at once; running tasks are killed',
});
