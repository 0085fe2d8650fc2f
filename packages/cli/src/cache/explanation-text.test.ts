import type { TaskCacheExplanation } from '@river/sdk/client';
import { describe, expect, it } from 'vitest';
import { explanationLines } from './explanation-text.js';

const KEY = `3c3f65f9ecba${'0'.repeat(52)}`;

function explained(
  verdict: TaskCacheExplanation['verdict'],
  fields: Partial<TaskCacheExplanation> = {},
): TaskCacheExplanation {
  const result =
    verdict === 'unused' || verdict === 'pending' ? undefined : verdict;
  return {
    runId: 'run-b',
    taskId: 'build-debug-1',
    name: 'make lib (debug)',
    job: 'build-debug',
    verdict,
    from: undefined,
    changes: [],
    waited: false,
    events:
      result === undefined
        ? []
        : [
            {
              schema: 1,
              type: 'task.cache',
              runId: 'run-b',
              at: 0,
              taskId: 'build-debug-1',
              result,
              key: KEY,
              changes: [],
              seq: 7,
            },
          ],
    finished: undefined,
    ...fields,
  };
}

describe('river why', () => {
  it('names the run, task and attempt a hit reused', () => {
    const lines = explanationLines(
      explained('hit', {
        from: {
          runId: 'run-a',
          taskId: 'build-debug-1',
          attempt: 2,
          finishedAt: Date.UTC(2026, 11, 5, 8, 30, 0),
        },
      }),
    );
    expect(lines).toEqual([
      'Task build-debug-1 (make lib (debug)) of run run-b was a cache hit ' +
        '(key 3c3f65f9ecba): it reused the result of run run-a, attempt 2, ' +
        'finished 2026-12-05T08:30:00Z.',
    ]);
  });

  it('lists what changed for a miss', () => {
    const lines = explanationLines(
      explained('miss', {
        changes: ['input src/util.c changed', 'env CFLAGS added'],
        waited: true,
      }),
    );
    expect(lines).toEqual([
      'Task build-debug-1 (make lib (debug)) of run run-b was a cache miss ' +
        '(key 3c3f65f9ecba), after waiting for an identical task, so it ' +
        'ran. Why:',
      '  input src/util.c changed',
      '  env CFLAGS added',
    ]);
  });

  it('says which task a waiting task waits for', () => {
    const [line] = explanationLines(
      explained('wait', {
        changes: ['task build-debug-1 of run run-a runs the same key now'],
      }),
    );
    expect(line).toMatch(
      /waits for an identical task \(key 3c3f65f9ecba\): task build-debug-1 of run run-a runs the same key now;/,
    );
  });

  it('says when a task did not use the cache', () => {
    const [line] = explanationLines(explained('unused'));
    expect(line).toBe(
      'Task build-debug-1 (make lib (debug)) of run run-b did not use the ' +
        'cache: caching is off for it (no cache setting of the task, its ' +
        'job or its project turns it on), and no ' +
        'retried run offered its result.',
    );
  });
});
