import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type LocalStack,
  type ServiceProcess,
  startServiceProcess,
} from '@river/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { river, startTestStack } from '../helpers/river.js';

let stack: LocalStack;
const extras: ServiceProcess[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  // A second replica of every service but the log-collector, logging to
  // its own directory.
  const logDir = await mkdtemp(join(tmpdir(), 'river-replicas-'));
  for (const name of ['controller', 'scheduler', 'sandbox'] as const) {
    extras.push(
      await startServiceProcess(
        name,
        { NATS_URL: stack.natsUrl, LOG_LEVEL: 'debug' },
        logDir,
      ),
    );
  }
});

afterAll(async () => {
  await Promise.allSettled(extras.map((service) => service.stop()));
  await stack?.stop();
});

describe('two replicas of each service', () => {
  it('share the runs and every run completes', async () => {
    const runs = await Promise.all(
      Array.from({ length: 6 }, () =>
        river(['run', 'tests/fixtures/hello.ts'], stack.natsUrl),
      ),
    );

    for (const run of runs) {
      expect(run.code, run.stdout + run.stderr).toBe(0);
    }
    const logs = await Promise.all(
      [stack.services.find((s) => s.name === 'controller'), extras[0]].map(
        (service) => readFile(service?.logFile ?? '', 'utf8'),
      ),
    );
    const taken = logs.map((log) => log.split('Run submitted').length - 1);
    expect(taken.reduce((sum, count) => sum + count, 0)).toBe(6);
  });
});
