#!/usr/bin/env node
import { runService, withHealthProbes } from '@river/protocol/internal';
import { loadSchedulerConfig } from './config.js';
import { startScheduler } from './scheduler.js';

await runService({
  name: 'scheduler',
  loadConfig: loadSchedulerConfig,
  start: withHealthProbes(startScheduler),
});
