import type { RunEvent } from '@river/protocol';
import { describe, expect, it } from 'vitest';
import { bytesText, describeEvent, tableLines } from './format.js';

const at = Date.UTC(2026, 0, 31, 12, 0, 0);
const base = { schema: 1 as const, runId: 'run-b', at };

function cacheEvent(
  result: 'hit' | 'miss' | 'wait',
  changes: string[],
  from?: string,
): RunEvent {
  return {
    ...base,
    type: 'task.cache',
    taskId: 'build-debug-1',
    result,
    key: 'k'.repeat(64),
    changes,
    ...(from === undefined
      ? {}
      : {
          from: {
            runId: from,
            taskId: 'build-debug-1',
            attempt: 1,
            finishedAt: at,
          },
        }),
  };
}

describe('event lines', () => {
  it('say what changed for a cache miss, a few reasons at most', () => {
    expect(
      describeEvent(cacheEvent('miss', ['input src/util.c changed'])),
    ).toBe('12:00:00   ≠ build-debug-1 cache miss: input src/util.c changed');
    const many = [
      'a changed',
      'b changed',
      'c changed',
      'd changed',
      'e added',
    ];
    expect(describeEvent(cacheEvent('miss', many))).toBe(
      '12:00:00   ≠ build-debug-1 cache miss: a changed; b changed; ' +
        'c changed; 2 more',
    );
  });

  it('name the run a cache hit came from, and the task that waits', () => {
    expect(describeEvent(cacheEvent('hit', [], 'run-a'))).toBe(
      '12:00:00   = build-debug-1 cache hit (from run-a)',
    );
    expect(
      describeEvent(
        cacheEvent('wait', [
          'task build-debug-1 of run run-a runs the same key now',
        ]),
      ),
    ).toBe(
      '12:00:00   … build-debug-1 waits for an identical task: task ' +
        'build-debug-1 of run run-a runs the same key now',
    );
  });

  it('show a reused task as cached, naming the origin task when it differs', () => {
    const finished: RunEvent = {
      ...base,
      type: 'task.finished',
      job: 'configure',
      taskId: 'configure-1',
      name: 'configure',
      attempt: 1,
      outcome: {
        ok: true,
        reason: 'exited',
        exitCode: 0,
        signal: null,
        durationMs: 1_200,
        stdout: '',
        stderr: '',
        stdoutTruncated: false,
        stderrTruncated: false,
        files: [],
      },
      cached: {
        runId: 'run-a',
        taskId: 'configure-2',
        attempt: 2,
        finishedAt: at,
      },
    };
    expect(describeEvent(finished)).toBe(
      '12:00:00   ✓ configure-1 cached (from run-a/configure-2)',
    );
  });

  it('mark a retry and an untrusted run where the run is submitted', () => {
    expect(
      describeEvent({
        ...base,
        type: 'run.submitted',
        file: 'pipeline.ts',
        bundleDigest: 'd',
        retryOf: 'run-a',
        untrustedScope: 'pr-12',
      }),
    ).toBe(
      '12:00:00 run run-b submitted (pipeline.ts, retrying run-a, ' +
        'untrusted, cache scope pr-12)',
    );
  });
});

describe('sizes and tables', () => {
  it('gives sizes in bytes, then in binary units with one decimal', () => {
    expect(bytesText(812)).toBe('812 B');
    expect(bytesText(3_500)).toBe('3.4 KiB');
    expect(bytesText(5 * 1_024 ** 3)).toBe('5.0 GiB');
  });

  it('aligns columns two spaces apart without trailing blanks', () => {
    expect(
      tableLines([
        ['KEY', 'SCOPE'],
        ['abc', 'trusted'],
        ['abcdef', 'x'],
      ]),
    ).toEqual(['KEY     SCOPE', 'abc     trusted', 'abcdef  x']);
  });
});
