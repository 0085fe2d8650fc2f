import { embeddedRoleEnv, type LocalStack } from '@river/cli';
import {
  Buckets,
  encode,
  type RunEvent,
  SCHEMA_VERSION,
  Subjects,
} from '@river/protocol';
import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { river, runIdOf, startTestStack } from '../helpers/river.js';

const FIXTURE = 'tests/fixtures/cache-cli.ts';

let stack: LocalStack;
let connection: RiverConnection;

beforeAll(async () => {
  stack = await startTestStack();
  connection = await connectRiver({ servers: stack.natsUrl, name: 'test' });
}, 120_000);

afterAll(async () => {
  await connection?.nc.close();
  await stack?.stop();
});

/** `river run` of the fixture with `--param`s; resolves with its run id. */
async function runFixture(
  params: Record<string, string>,
  expectedCode = 0,
  extra: string[] = [],
): Promise<{ runId: string; stdout: string }> {
  const args = ['run', FIXTURE, ...extra];
  for (const [name, value] of Object.entries(params)) {
    args.push('--param', `${name}=${value}`);
  }
  const result = await river(args, stack.natsUrl);
  expect(result.code, result.stderr + result.stdout).toBe(expectedCode);
  return { runId: runIdOf(result.stdout), stdout: result.stdout };
}

/** The admin user's environment, for the commands that change the cache. */
function asAdmin(): NodeJS.ProcessEnv {
  return embeddedRoleEnv(stack.natsUrl, 'admin') ?? {};
}

/** The cache entries `river cache ls --json` lists. */
async function listedEntries(): Promise<
  { key: string; scope: string; origin: { runId: string } }[]
> {
  const listed = await river(['cache', 'ls', '--json'], stack.natsUrl);
  expect(listed.code, listed.stderr).toBe(0);
  return listed.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

/** Stores a made-up `run.submitted` event, as an older River wrote it. */
async function storeSubmitted(
  runId: string,
  fields: Partial<Extract<RunEvent, { type: 'run.submitted' }>>,
): Promise<void> {
  const event: RunEvent = {
    schema: SCHEMA_VERSION,
    type: 'run.submitted',
    runId,
    at: Date.now(),
    file: 'old.ts',
    bundleDigest: 'f'.repeat(64),
    ...fields,
  };
  await connection.js.publish(
    Subjects.event(runId, 'run.submitted'),
    encode('event', event),
  );
}

describe('a run that reuses a cached result', () => {
  let first: string;
  let second: string;

  beforeAll(async () => {
    first = (await runFixture({ tag: 'reuse' })).runId;
    const rerun = await runFixture({ tag: 'reuse' });
    second = rerun.runId;
    expect(rerun.stdout).toContain(`✓ make-1 cached (from ${first})`);
    expect(rerun.stdout).toContain('2 tasks: 2 succeeded (1 cached)');
  }, 120_000);

  it('shows the hit and the cached task in river events', async () => {
    const events = await river(['events', second], stack.natsUrl);
    expect(events.code).toBe(0);
    expect(events.stdout).toContain(`= make-1 cache hit (from ${first})`);
    expect(events.stdout).toContain(`✓ make-1 cached (from ${first})`);
  });

  it('has river why name the run the hit came from, by task id, name or job', async () => {
    for (const task of ['make-1', 'make-thing', 'make']) {
      const why = await river(['why', second, task], stack.natsUrl);
      expect(why.code, why.stderr).toBe(0);
      expect(why.stdout).toMatch(
        new RegExp(
          `^Task make-1 \\(make-thing\\) of run ${second} was a cache hit ` +
            `\\(key [0-9a-f]{12}\\): it reused the result of run ${first}, ` +
            'attempt 1,',
        ),
      );
    }
    const json = await river(
      ['why', second, 'make-1', '--json'],
      stack.natsUrl,
    );
    const events = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events).toMatchObject([
      { type: 'task.cache', result: 'hit', from: { runId: first } },
    ]);
  });

  it('has river why say a task without cache did not use it', async () => {
    const why = await river(['why', second, 'check-1'], stack.natsUrl);
    expect(why.stdout).toMatch(
      /check-1 \(sh\) of run .* did not use the cache/,
    );
    const json = await river(
      ['why', second, 'check-1', '--json'],
      stack.natsUrl,
    );
    expect(json.stdout).toBe('');
  });

  it('has river why list what changed for a miss', async () => {
    const { runId } = await runFixture({ tag: 'reuse', flavour: 'spicy' });
    const why = await river(['why', runId, 'make-1'], stack.natsUrl);
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout).toMatch(
      /was a cache miss \(key [0-9a-f]{12}\), so it ran\. Why:\n {2}env FLAVOUR changed\n$/,
    );
    const events = await river(['events', runId], stack.natsUrl);
    expect(events.stdout).toContain('≠ make-1 cache miss: env FLAVOUR changed');
  });

  it('has river why refuse an unknown task or run, saying which', async () => {
    const task = await river(['why', second, 'nothing-1'], stack.natsUrl);
    expect(task.code).toBe(1);
    expect(task.stderr).toContain(
      `Run ${second} has no task or job 'nothing-1': its tasks ` +
        'are make-1, check-1.',
    );
    const run = await river(
      ['why', 'run-nothing-here', 'make-1'],
      stack.natsUrl,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /Run run-nothing-here has no events on this server/,
    );
  });

  it('has river logs print the log of the task that ran, saying so', async () => {
    const logs = await river(['logs', second, 'make-1'], stack.natsUrl);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toBe('made plain\n');
    expect(logs.stderr.split('\n')[0]).toBe(
      `Task make-1 of run ${second} reused a result from the cache: this is ` +
        `the log of ${first}/make-1 (attempt 1), the task that ran.`,
    );
    const raw = await river(
      ['logs', second, 'make-1', '--bytes', '0:4', '--raw'],
      stack.natsUrl,
    );
    expect(raw.stdout).toBe('made');

    const all = await river(['logs', second], stack.natsUrl);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('checking');
    expect(all.stderr).toBe(
      `Its task make-1 reused results from the cache: river logs ${second} ` +
        'make-1 prints the log of the task that ran.\n',
    );
  });
});

describe('river retry', () => {
  it('runs the run again, reusing what succeeded, and follows it', async () => {
    const failed = await runFixture({ tag: 'retry', fail: 'yes' }, 1);

    const retry = await river(['retry', failed.runId], stack.natsUrl);

    expect(retry.code).toBe(1);
    const retryId = runIdOf(retry.stdout);
    expect(retry.stdout).toContain(
      `run ${retryId} submitted (${FIXTURE}, retrying ${failed.runId})`,
    );
    expect(retry.stdout).toContain(`✓ make-1 cached (from ${failed.runId})`);
    expect(retry.stdout).toContain('check-1 failed with exit code 1');
    expect(retry.stdout).toContain('2 tasks: 1 succeeded (1 cached), 1 failed');
    const events = await river(['events', retryId, '--json'], stack.natsUrl);
    const submitted = JSON.parse(events.stdout.split('\n')[0] ?? '');
    expect(submitted).toMatchObject({
      type: 'run.submitted',
      retryOf: failed.runId,
      params: { tag: 'retry', fail: 'yes' },
    });
  });

  it('says why a run cannot be retried', async () => {
    const unknown = await river(['retry', 'run-nothing-here'], stack.natsUrl);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'Run run-nothing-here has no run.submitted event on this server',
    );

    await storeSubmitted('run-older-river', {});
    const older = await river(['retry', 'run-older-river'], stack.natsUrl);
    expect(older.code).toBe(1);
    expect(older.stderr).toContain(
      'Run run-older-river was submitted by an older River, which did not ' +
        'record its source files: submit old.ts again with river run.',
    );

    await storeSubmitted('run-bundle-gone', { sources: [] });
    const gone = await river(['retry', 'run-bundle-gone'], stack.natsUrl);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(
      `The bundle of run run-bundle-gone (${'f'.repeat(64)}) is no longer ` +
        'in river-bundles',
    );

    // A run with a stored bundle, and no end yet.
    const done = await runFixture({ tag: 'retry-going' });
    const events = await river(['events', done.runId, '--json'], stack.natsUrl);
    const { bundleDigest } = JSON.parse(events.stdout.split('\n')[0] ?? '');
    await storeSubmitted('run-still-going', { sources: [], bundleDigest });
    const going = await river(['retry', 'run-still-going'], stack.natsUrl);
    expect(going.code).toBe(1);
    expect(going.stderr).toContain(
      'Run run-still-going has not finished, so there is nothing to retry',
    );
  });
});

describe('river run --untrusted', () => {
  it('records the run’s results in its own scope', async () => {
    const { runId } = await runFixture({ tag: 'untrusted' }, 0, [
      '--untrusted',
      'pr-7',
    ]);
    const entries = await listedEntries();
    expect(entries.find((entry) => entry.origin.runId === runId)?.scope).toBe(
      'untrusted.pr-7',
    );
  });

  it('refuses a scope that is not one', async () => {
    const bad = await river(
      ['run', FIXTURE, '--untrusted', 'pr.7'],
      stack.natsUrl,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--untrusted takes a cache scope');
  });
});

describe('river cache', () => {
  it('counts and lists the entries', async () => {
    const stats = await river(['cache', 'stats'], stack.natsUrl);
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(/^\d+ entries, \d+ B of files, 0 expired\n/);
    expect(stats.stdout).toMatch(/\ntrusted +\d+ +\d+ B +0\n/);
    expect(stats.stdout).toMatch(/\nuntrusted\.pr-7 +1 +/);
    const ls = await river(['cache', 'ls'], stack.natsUrl);
    expect(ls.stdout.split('\n')[0]).toMatch(
      /^KEY +SCOPE +ORIGIN +RECORDED +EXPIRES +BYTES$/,
    );
  });

  it('lets only the admin user delete entries, and says so', async () => {
    const before = await listedEntries();
    const refused = await river(['cache', 'rm', '--all'], stack.natsUrl);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "river cache rm changes the task cache, which only River's admin " +
        "NATS user may, not NATS user 'sdk': run it with RIVER_NATS_USER " +
        'and RIVER_NATS_NKEY_SEED_FILE naming the admin user',
    );
    expect(await listedEntries()).toHaveLength(before.length);

    const untrusted = before.find((entry) => entry.scope !== 'trusted');
    const removed = await river(
      ['cache', 'rm', (untrusted?.key ?? '').slice(0, 12)],
      stack.natsUrl,
      60_000,
      asAdmin(),
    );
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(
      /^Removed 1 cache entry \(\d+ B of files\)\.\n$/,
    );
    expect(await listedEntries()).toHaveLength(before.length - 1);
  });

  it('prunes expired entries and the files no entry uses', async () => {
    await runFixture({ tag: 'expiring', flavour: 'brief', 'ttl-ms': '1' });
    const artifacts = await connection.objm.open(Buckets.artifacts);
    const names = async () =>
      (await artifacts.list())
        .filter((info) => !info.deleted)
        .map((info) => info.name);
    const kept = (await listedEntries()).length - 1;

    const refused = await river(['cache', 'prune'], stack.natsUrl);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'river cache prune changes the task cache',
    );

    const pruned = await river(
      ['cache', 'prune', '--blob-min-age-days', '0'],
      stack.natsUrl,
      60_000,
      asAdmin(),
    );
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain('Removed 1 entry (11 B): expired.\n');
    expect(pruned.stdout).toMatch(
      /Removed [1-9]\d* artifact files? \(.*\) that no cache entry or running run uses/,
    );
    expect(await listedEntries()).toHaveLength(kept);
    // The file of "made brief", which only the expired entry recorded,
    // is gone; "made plain" stays with the entries that record it.
    const left = await names();
    const { createHash } = await import('node:crypto');
    const digest = (text: string) =>
      createHash('sha256').update(text).digest('hex');
    expect(left).not.toContain(digest('made brief\n'));
    expect(left).toContain(digest('made plain\n'));
  });
});
