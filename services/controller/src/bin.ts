#!/usr/bin/env node
import { createServiceLogger } from '@river/protocol/internal';
import { loadControllerConfig } from './config.js';
import { startController } from './controller.js';

const log = createServiceLogger('controller');
try {
  const config = loadControllerConfig();
  const controller = await startController(config, { log });
  const stop = async () => {
    await controller.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  log.error({ err: error }, 'Controller failed to start');
  process.exit(1);
}
