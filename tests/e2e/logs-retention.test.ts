import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LocalStack, startLocalStack } from '@river/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: LocalStack;

beforeAll(async () => {
  // The embedded server creates River's streams first, with 30 days.
  stack = await startLocalStack({
    anonymous: 'admin',
    services: ['log-collector'],
    env: { LOG_LEVEL: 'info', RIVER_RETENTION_DAYS: '7' },
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('log retention', () => {
  it('is named in a warning when the streams were created with another', async () => {
    const path = join(stack.logDir, 'log-collector.log');
    let lines: Array<Record<string, unknown>> = [];
    for (let tries = 0; tries < 50; tries++) {
      lines = (await readFile(path, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      if (lines.some((line) => line.msg === 'Log-collector started')) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const warnings = lines.filter(
      (line) =>
        line.msg ===
        'Stream keeps logs for other than RIVER_RETENTION_DAYS; it was created before with other settings',
    );
    expect(warnings.map((line) => line.stream).sort()).toEqual([
      'KV_river-log-index',
      'RIVER_LOGS',
    ]);
    expect(warnings[0]).toMatchObject({ keptDays: 30, retentionDays: 7 });
  });
});
