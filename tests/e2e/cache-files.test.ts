import { embeddedRoleEnv, type LocalStack } from '@river/cli';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { river, runIdOf, startTestStack } from '../helpers/river.js';

const FIXTURE = 'tests/fixtures/cache-prune-sources.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it('runs a project again after prune removed its sources', async () => {
  const first = await river(['run', FIXTURE], stack.natsUrl);
  expect(first.code, first.stderr + first.stdout).toBe(0);

  const pruned = await river(
    ['cache', 'prune', '--blob-min-age-days', '0'],
    stack.natsUrl,
    60_000,
    embeddedRoleEnv(stack.natsUrl, 'admin') ?? {},
  );
  expect(pruned.code, pruned.stderr).toBe(0);
  expect(pruned.stdout).toMatch(/Removed [1-9]\d* artifact file/);

  // The same sources again: `river run` must upload them anew.
  const second = await river(['run', FIXTURE], stack.natsUrl);
  expect(second.code, second.stderr + second.stdout).toBe(0);
}, 120_000);

it('hands back the files in the order this task declares them', async () => {
  const fixture = 'tests/fixtures/cache-output-order.ts';
  const tag = `order-${Date.now()}`;
  const first = await river(
    ['run', fixture, '--param', `tag=${tag}`, '--param', 'order=ab'],
    stack.natsUrl,
  );
  expect(first.code, first.stderr + first.stdout).toBe(0);
  expect(first.stdout).toContain('files: a.txt,b.txt');

  // The same outputs in the other order: another key, since a result's
  // files come back in the order its outputs were declared.
  const second = await river(
    ['run', fixture, '--param', `tag=${tag}`, '--param', 'order=ba'],
    stack.natsUrl,
  );
  expect(second.code, second.stderr + second.stdout).toBe(0);
  expect(second.stdout).not.toContain('cached');
  expect(second.stdout).toContain('files: b.txt,a.txt');
}, 120_000);

it('points river logs of a run whose tasks all came from the cache at one of them', async () => {
  const fixture = 'tests/fixtures/cache-output-order.ts';
  const params = ['--param', `tag=logs-${Date.now()}`, '--param', 'order=ab'];
  const first = await river(['run', fixture, ...params], stack.natsUrl);
  expect(first.code, first.stderr + first.stdout).toBe(0);
  const second = await river(['run', fixture, ...params], stack.natsUrl);
  expect(second.stdout).toContain('cached');
  const runId = runIdOf(second.stdout);

  const logs = await river(['logs', runId], stack.natsUrl);

  expect(logs.code).toBe(1);
  expect(logs.stderr).toMatch(
    new RegExp(
      `^No logs stored for run ${runId}\\. Its task \\S+ reused results ` +
        `from the cache: river logs ${runId} \\S+ prints the log of the ` +
        'task that ran\\.',
    ),
  );
}, 120_000);

it('reuses a result only within the time to live of the task that asks', async () => {
  const fixture = 'tests/fixtures/cache-cli.ts';
  const tag = ['--param', `tag=ttl-${Date.now()}`];
  const long = await river(
    ['run', fixture, ...tag, '--param', 'ttl-ms=600000'],
    stack.natsUrl,
  );
  expect(long.code, long.stderr + long.stdout).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 50));

  const brief = await river(
    ['run', fixture, ...tag, '--param', 'ttl-ms=10'],
    stack.natsUrl,
  );
  expect(brief.code, brief.stderr + brief.stdout).toBe(0);
  const why = await river(
    ['why', runIdOf(brief.stdout), 'make-1'],
    stack.natsUrl,
  );

  expect(why.stdout).toContain('was a cache miss');
  expect(why.stdout).toContain("older than the task's ttlMs (10 ms)");
}, 120_000);
