import type { LocalStack } from '@river/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { river, startTestStack } from '../helpers/river.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

describe('the job language', () => {
  it('runs job classes, task classes, a matrix and forks in one project', async () => {
    const result = await river(
      ['run', 'examples/language-tour/pipeline.ts'],
      stack.natsUrl,
    );

    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/report: 17 words in 3 files/);
    expect(result.stdout).toMatch(/report: 4 long words/);
    expect(result.stdout).toMatch(/report: probes: true,false,true/);
    expect(result.stdout).toMatch(
      /greetings: hello, ada \| HELLO, ADA \| hello, grace \| HELLO, GRACE/,
    );
    for (const cell of ['ada-false', 'ada-true', 'grace-false', 'grace-true']) {
      expect(result.stdout).toMatch(new RegExp(`✓ greet-${cell} succeeded`));
    }
  });

  it('builds a second project from the same job class library', async () => {
    const within = await river(
      ['run', 'examples/language-tour/word-budget.ts'],
      stack.natsUrl,
    );
    const over = await river(
      ['run', 'examples/language-tour/word-budget.ts', '--param', 'budget=10'],
      stack.natsUrl,
    );

    expect(within.code).toBe(0);
    expect(within.stdout).toMatch(/17 words in 3 files, budget 100/);
    expect(over.code).toBe(1);
    expect(over.stdout).toMatch(/17 words exceed the budget of 10/);
  });

  it('passes typed parameters from the command line to job logic', async () => {
    const result = await river(
      [
        'run',
        'tests/fixtures/params.ts',
        '--param',
        'label=nightly',
        '--param',
        'copies=2',
        '--param',
        'target=debug',
      ],
      stack.natsUrl,
    );

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/show: nightly:debug nightly:debug/);
  });

  it('refuses parameters that do not fit before anything runs, naming each', async () => {
    const result = await river(
      ['run', 'tests/fixtures/params.ts', '--param', 'copies=two', '-p', 'x=1'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).not.toMatch(/submitted/);
    expect(result.stderr).toMatch(/unknown parameter x/);
    expect(result.stderr).toMatch(/copies must be a number, not 'two'/);
    expect(result.stderr).toMatch(/label is required/);
  });

  it('runs cleanup jobs always, skips conditional ones, allows failures and times jobs out', async () => {
    const result = await river(
      ['run', 'tests/fixtures/control.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ flaky failed/);
    expect(result.stdout).toMatch(/build: flaky gave null/);
    expect(result.stdout).toMatch(
      /- ship skipped in .*: its condition was false/,
    );
    expect(result.stdout).toMatch(
      /- announce skipped in .*: upstream ship did not succeed/,
    );
    expect(result.stdout).toMatch(
      /slow failed .*exceeded its timeout of 1000 ms/,
    );
    expect(result.stdout).toMatch(/cleanup sees slow=null ship=null/);
    expect(result.stdout).toMatch(/✓ cleanup succeeded/);
    expect(result.stdout).toMatch(/run failed in .*: job slow failed/);
  });

  it('runs a conditional job when its condition holds', async () => {
    const result = await river(
      ['run', 'tests/fixtures/control.ts', '--param', 'deploy=true'],
      stack.natsUrl,
    );

    expect(result.stdout).toMatch(/✓ ship succeeded/);
    expect(result.stdout).toMatch(/✓ announce succeeded/);
  });

  it('retries chosen exit codes with a growing backoff, and no others', async () => {
    // The fixture counts its attempts in a file outside its workspace,
    // which only the process runner lets a task keep.
    const processStack = await startTestStack({
      env: { RIVER_RUNNER: 'process' },
    });
    const result = await river(
      ['run', 'tests/fixtures/retries.ts', '--json'],
      processStack.natsUrl,
    ).finally(() => processStack.stop());
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const dispatched = events
      .filter((e) => e.type === 'task.dispatched' && e.taskId === 'flaky-1')
      .map((e) => e.at as number);
    const logs = events
      .filter((e) => e.type === 'job.log')
      .map((e) => e.message);

    expect(result.code).toBe(0);
    expect(logs).toContain('attempt 3: third time lucky');
    expect(logs).toContain('exit 3 stopped at attempt 1');
    expect(dispatched).toHaveLength(3);
    // 300 ms before the second attempt, 600 ms before the third.
    expect((dispatched[1] ?? 0) - (dispatched[0] ?? 0)).toBeGreaterThanOrEqual(
      300,
    );
    expect((dispatched[2] ?? 0) - (dispatched[1] ?? 0)).toBeGreaterThanOrEqual(
      600,
    );
  });

  it('refuses at submit a consumer of an artifact nobody provides', async () => {
    const result = await river(
      ['run', 'tests/fixtures/artifact-nobody.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).not.toMatch(/submitted/);
    expect(result.stderr).toMatch(
      /job 'publish' consumes artifact 'docs', which no job provides/,
    );
  });

  it('fails a job that declares an artifact but does not provide it', async () => {
    const result = await river(
      ['run', 'tests/fixtures/artifact-unprovided.ts'],
      stack.natsUrl,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /✗ write failed .*declares artifact report in provides but did not provide it/,
    );
    expect(result.stdout).toMatch(/- read skipped/);
  });

  it('refuses a parameter given twice on the command line', async () => {
    const result = await river(
      ['run', 'tests/fixtures/params.ts', '-p', 'label=a', '-p', 'label=b'],
      stack.natsUrl,
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--param label is given twice/);
  });

  // About 30 s under the process runner and 40 s under bwrap on a
  // two-core machine, more while other tests run.
  it('fans one job out to 1,000 tasks and reports each of them', {
    timeout: 150_000,
  }, async () => {
    const result = await river(
      ['run', 'examples/fan-out/pipeline.ts', '--json'],
      stack.natsUrl,
    );
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const finished = events.filter((event) => event.type === 'task.finished');

    expect(result.code).toBe(0);
    expect(finished).toHaveLength(1_001);
    expect(finished.every((event) => event.outcome.ok)).toBe(true);
    expect(new Set(finished.map((event) => event.taskId)).size).toBe(1_001);
    expect(events.find((event) => event.type === 'job.log')?.message).toBe(
      '1000 tasks, sum of squares 333833500',
    );
  });
});
