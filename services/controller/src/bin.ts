#!/usr/bin/env node
import { runService, withHealthProbes } from '@river/protocol/internal';
import { loadControllerConfig } from './config.js';
import { startController } from './controller.js';

await runService({
  name: 'controller',
  loadConfig: loadControllerConfig,
  start: withHealthProbes(startController),
});
