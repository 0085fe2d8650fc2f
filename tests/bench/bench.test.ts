import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain JavaScript, without types.
import { checkRun } from '../../bench/lib/river-stack.mjs';
// @ts-expect-error: the bench is plain JavaScript, without types.
import { checkCacheRun } from '../../bench/scenarios/cache.mjs';
// @ts-expect-error: the bench is plain JavaScript, without types.
import { hopGaps } from '../../bench/scenarios/graphs.mjs';
import { REPO_ROOT } from '../helpers/river.js';

/** A task.finished event as the bench reads it. */
function finished(taskId: string, ok = true, at = 0, durationMs = 1) {
  return {
    type: 'task.finished',
    taskId,
    at,
    outcome: { ok, exitCode: ok ? 0 : 1, reason: 'exited', durationMs },
  };
}

const succeeded = { type: 'run.finished', status: 'succeeded' };

describe('the bench checks what it measures', () => {
  it('accepts a run whose every task finished once with 0', () => {
    const events = [finished('a'), finished('b'), succeeded];
    expect(() => checkRun({ runId: 'r', events }, 2)).not.toThrow();
  });

  it.each([
    ['a task missing', [finished('a'), succeeded], /finished 1 tasks, not 2/],
    [
      'a task twice',
      [finished('a'), finished('a'), finished('b'), succeeded],
      /finished twice/,
    ],
    [
      'a failed task',
      [finished('a'), finished('b', false), succeeded],
      /Task b of r failed/,
    ],
    [
      'a failed run',
      [
        finished('a'),
        finished('b'),
        { type: 'run.finished', status: 'failed' },
      ],
      /ended failed/,
    ],
    ['no end', [finished('a'), finished('b')], /without run.finished/],
  ])('refuses a run with %s', (_what, events, message) => {
    expect(() => checkRun({ runId: 'r', events }, 2)).toThrow(message);
  });

  it("measures a hop from one task's end to the next one's start", () => {
    const events = [
      { type: 'task.started', taskId: 'a', at: 100 },
      finished('a', true, 110, 5),
      { type: 'task.started', taskId: 'b', at: 108 },
      finished('b', true, 120, 2),
    ];
    expect(hopGaps(events)).toEqual([3]);
  });
});

/** A task's events as the cache scenario reads them: a hit or a run. */
function looked(taskId: string, result: 'hit' | 'miss', started = false) {
  const origin = { runId: 'earlier', taskId, attempt: 1, finishedAt: 0 };
  return [
    { type: 'task.cache', taskId, result, key: 'k', changes: [] },
    ...(started ? [{ type: 'task.started', taskId, at: 0 }] : []),
    {
      ...finished(taskId),
      ...(result === 'hit' && !started ? { cached: origin } : {}),
    },
  ];
}

describe('the cache scenario checks what ran', () => {
  it('accepts a run where the planned tasks ran and the rest were hits', () => {
    const events = [
      ...looked('a', 'hit'),
      ...looked('b', 'miss', true),
      succeeded,
    ];
    expect(checkCacheRun({ runId: 'r', events }, ['b'], ['a', 'b'])).toEqual([
      'b',
    ]);
  });

  it.each([
    [
      'a task that missed',
      looked('a', 'miss', true),
      /had miss, not a cache hit/,
    ],
    ['a hit that ran anyway', looked('a', 'hit', true), /ran on a cache hit/],
    [
      'a task never looked up',
      [finished('a')],
      /had no cache lookup, not a cache hit/,
    ],
  ])('refuses a run with %s', (_what, first, message) => {
    const events = [...first, ...looked('b', 'miss', true), succeeded];
    expect(() =>
      checkCacheRun({ runId: 'r', events }, ['b'], ['a', 'b']),
    ).toThrow(message);
  });
});

/**
 * Runs one scenario of `npm run bench` once in quick mode and reads the
 * JSON it writes.
 */
async function runQuick(scenario: string) {
  const dir = await mkdtemp(join(tmpdir(), 'river-bench-test-'));
  const out = join(dir, 'results.json');
  try {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        ['bench/index.mjs', scenario, '--quick', '--repeat', '1', '--out', out],
        { cwd: REPO_ROOT, stdio: 'ignore' },
      );
      child.once('exit', resolve);
    });
    return { code, written: JSON.parse(await readFile(out, 'utf8')) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('npm run bench', () => {
  it('runs a scenario side by side and writes its results as JSON', async () => {
    const { code, written } = await runQuick('latency');
    expect(code).toBe(0);
    const [latency] = written.results;
    expect(latency.scenario).toBe('latency');
    expect(latency.error).toBeUndefined();
    expect(Object.keys(latency.rows[0].values)).toEqual([
      'River',
      'bare spawn',
      'NATS request',
      'BullMQ',
    ]);
    for (const value of Object.values(latency.rows[0].values)) {
      expect(value).toBeGreaterThan(0);
    }
  }, 180_000);

  it('runs the cache scenario against make and counts what ran', async () => {
    const { code, written } = await runQuick('cache');
    expect(code).toBe(0);
    const [cache] = written.results;
    expect(cache.scenario).toBe('cache');
    expect(cache.error).toBeUndefined();
    expect(cache.detail.tasksRun.testEdited).toEqual([
      'test-debug-1',
      'test-release-1',
      'test-asan-1',
      'test-portable-1',
    ]);
    for (const { values } of cache.rows) {
      expect(Object.keys(values)).toEqual(['River', 'make -j2']);
      for (const value of Object.values(values)) {
        expect(value).toBeGreaterThan(0);
      }
    }
  }, 180_000);

  it('refuses a scenario it does not have, naming the ones it has', async () => {
    const output = await new Promise<{ code: number | null; err: string }>(
      (resolve) => {
        const child = spawn(process.execPath, ['bench/index.mjs', 'nope'], {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let err = '';
        child.stderr.on('data', (data) => {
          err += data;
        });
        child.once('exit', (code) => resolve({ code, err }));
      },
    );
    expect(output.code).toBe(2);
    expect(output.err).toMatch(
      /Unknown scenario nope; the scenarios are: fan-out/,
    );
  });
});
