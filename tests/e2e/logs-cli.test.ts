import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { embeddedRoleEnv, type LocalStack } from '@river/cli';
import { Subjects } from '@river/protocol';
import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHistory } from '../helpers/nats-cluster.js';
import {
  REPO_ROOT,
  river,
  spawnRiver,
  startTestStack,
} from '../helpers/river.js';

const CLI = join(REPO_ROOT, 'packages/cli/dist/main.js');

let stack: LocalStack;
let connection: RiverConnection;
let client: RiverClient;
let runId: string;

beforeAll(async () => {
  stack = await startTestStack();
  connection = await connectRiver({ servers: stack.natsUrl, name: 'test' });
  client = await RiverClient.connect({ servers: stack.natsUrl });
  ({ runId } = await client.submit('tests/fixtures/logs-cli.ts'));
  await runHistory(connection, runId, 90_000);
}, 120_000);

afterAll(async () => {
  await client?.close();
  await connection?.nc.close();
  await stack?.stop();
});

describe('river logs', () => {
  it('names a run that does not exist at once, also with --follow', async () => {
    for (const args of [[], ['--follow']]) {
      const started = Date.now();
      const result = await river(
        ['logs', 'run-nothing-here', ...args],
        stack.natsUrl,
        15_000,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /Run run-nothing-here has no events on this server/,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    }
  });

  it('says which attempt each part of a retried task belongs to', async () => {
    const one = await river(['logs', runId, 'flaky-1'], stack.natsUrl);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe(
      [
        'attempt output',
        '==> flaky-1 (attempt 2) <==',
        'attempt output',
        '==> flaky-1 (attempt 3) <==',
        'attempt output',
        '',
      ].join('\n'),
    );

    const all = await river(['logs', runId], stack.natsUrl);
    for (const attempt of [1, 2, 3]) {
      expect(all.stdout).toContain(`==> flaky-1 (attempt ${attempt}) <==\n`);
    }
    expect(all.stdout).toContain('==> timed-1 (attempt 1) <==\n');

    const second = await river(
      ['logs', runId, 'flaky-1', '--attempt', '2'],
      stack.natsUrl,
    );
    expect(second.stdout).toBe('==> flaky-1 (attempt 2) <==\nattempt output\n');
  });

  it('filters by output and by the time chunks were stored', async () => {
    const stderr = await river(
      ['logs', runId, 'timed-1', '--stream', 'stderr'],
      stack.natsUrl,
    );
    expect(stderr.stdout).toBe('early-err\n');

    const chunks = [];
    for await (const chunk of client.logs(runId, { taskId: 'timed-1' })) {
      chunks.push(chunk);
    }
    const late = chunks.find((chunk) =>
      Buffer.from(chunk.data).toString().includes('late'),
    );
    expect(late?.at).toBeGreaterThan(0);
    const since = new Date(late?.at ?? 0).toISOString();
    const after = await river(
      ['logs', runId, 'timed-1', '--since', since],
      stack.natsUrl,
    );
    expect(after.stdout).toBe('late\n');

    const recent = await river(
      ['logs', runId, 'timed-1', '--since', '1h'],
      stack.natsUrl,
    );
    expect(recent.stdout).toContain('early\n');
    const future = await river(
      ['logs', runId, '--since', '2099-01-01'],
      stack.natsUrl,
    );
    expect(future.code).toBe(1);
    expect(future.stderr).toMatch(/No logs stored/);
  });

  it('exits quietly when its reader closes the pipe', async () => {
    const result = await new Promise<{ code: number | null; err: string }>(
      (resolve) => {
        const child = spawn(
          'bash',
          [
            '-c',
            `set -o pipefail; "${process.execPath}" "${CLI}" logs ${runId} plenty-1 | head -n 2`,
          ],
          {
            cwd: REPO_ROOT,
            env: {
              ...process.env,
              NATS_URL: stack.natsUrl,
              ...embeddedRoleEnv(stack.natsUrl, 'sdk'),
            },
          },
        );
        let out = '';
        let err = '';
        child.stdout.on('data', (data) => {
          out += data;
        });
        child.stderr.on('data', (data) => {
          err += data;
        });
        child.on('exit', (code) => {
          expect(out).toBe('1\n2\n');
          resolve({ code, err });
        });
      },
    );
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
  });

  it('follows a quiet run with a query every two seconds, not a poll', async () => {
    let queries = 0;
    const counting = connection.nc.subscribe(Subjects.logQuery, {
      callback: () => {
        queries++;
      },
    });
    await connection.nc.flush();
    const { runId: quiet } = await client.submit(
      'tests/fixtures/logs-quiet.ts',
    );
    const started = Date.now();
    const follower = spawnRiver(['logs', quiet, '--follow'], stack.natsUrl);
    // `river logs` prints no run id line for spawnRiver to find.
    follower.runId.catch(() => undefined);
    const code = await follower.exited;
    const seconds = (Date.now() - started) / 1_000;
    counting.unsubscribe();

    expect(code).toBe(0);
    expect(follower.output()).toBe(
      '==> quiet-1 (attempt 1) <==\nstart\ndone\n',
    );
    // About one query per two quiet seconds, and a few around the output
    // and the run's end; a 500 ms poll would make three times as many.
    expect(seconds).toBeGreaterThan(6);
    expect(queries).toBeLessThanOrEqual(Math.ceil(seconds / 2) + 4);
  });
});
