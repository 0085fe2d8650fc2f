#!/usr/bin/env node
import { runService, withHealthProbes } from '@river/protocol/internal';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './gateway.js';

await runService({
  name: 'gateway',
  loadConfig: loadGatewayConfig,
  start: withHealthProbes(startGateway),
});
