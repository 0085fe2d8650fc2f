#!/usr/bin/env node
import { runService, withHealthProbes } from '@river/protocol/internal';
import { loadLogCollectorConfig } from './config.js';
import { startLogCollector } from './log-collector.js';

await runService({
  name: 'log-collector',
  loadConfig: loadLogCollectorConfig,
  start: withHealthProbes(startLogCollector),
});
