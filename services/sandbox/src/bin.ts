#!/usr/bin/env node
import { runService, withHealthProbes } from '@river/protocol/internal';
import { loadSandboxConfig } from './config.js';
import { killAllTaskGroups } from './process-group.js';
import { removeLiveContainersSync } from './runners/docker-leftovers.js';
import { startSandbox } from './sandbox.js';
import { removeLiveWorkspacesSync } from './workspace.js';

// However the sandbox ends, no task process, container or workspace may
// outlive it.
process.on('exit', () => {
  killAllTaskGroups();
  removeLiveContainersSync();
  removeLiveWorkspacesSync();
});

await runService({
  name: 'sandbox',
  loadConfig: loadSandboxConfig,
  start: withHealthProbes(startSandbox),
  stopAtOnceMessage: 'Stopping at once; running tasks are killed',
});
