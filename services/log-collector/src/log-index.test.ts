import { type LogChunk, SCHEMA_VERSION } from '@river/protocol';
import { describe, expect, it } from 'vitest';
import {
  applyChunk,
  emptyLogIndexEntry,
  gapEndingBefore,
  logIndexKey,
  MAX_MISSING_SEQUENCES,
} from './log-index.js';

function chunk(seq: number, size = 10, last = false): LogChunk {
  return {
    schema: SCHEMA_VERSION,
    runId: 'run-1',
    taskId: 'task-0',
    attempt: 2,
    seq,
    stream: 'stdout',
    data: new Uint8Array(size),
    last,
  };
}

function applyAll(chunks: LogChunk[]) {
  const [first] = chunks;
  let entry = emptyLogIndexEntry(first ?? chunk(0));
  const effects: string[] = [];
  for (const item of chunks) {
    const update = applyChunk(entry, item);
    entry = update.entry;
    effects.push(update.effect);
  }
  return { entry, effects };
}

describe('log index', () => {
  it('keys an entry by run, task and attempt', () => {
    expect(logIndexKey(chunk(0))).toBe('run-1.task-0.2');
  });

  it('counts chunks and bytes in order and completes on the last chunk', () => {
    const { entry, effects } = applyAll([
      chunk(0, 5),
      chunk(1, 7),
      chunk(2, 0, true),
    ]);
    expect(effects).toEqual(['appended', 'appended', 'appended']);
    expect(entry).toEqual({
      schema: 1,
      runId: 'run-1',
      taskId: 'task-0',
      attempt: 2,
      chunks: 3,
      bytes: 12,
      nextSeq: 3,
      missing: [],
      complete: true,
      streamBytes: { stdout: 12, stderr: 0 },
      lines: 0,
      openLine: true,
    });
  });

  it('records skipped sequences as missing and removes one that arrives late', () => {
    const { entry, effects } = applyAll([chunk(0), chunk(3), chunk(1)]);
    expect(effects).toEqual(['appended', 'gap', 'filled']);
    expect(entry).toMatchObject({ chunks: 3, nextSeq: 4, missing: [2] });
  });

  it('leaves the entry unchanged for a repeated chunk', () => {
    const { entry, effects } = applyAll([
      chunk(0, 5),
      chunk(0, 5),
      chunk(1, 5, true),
      chunk(1, 5, true),
    ]);
    expect(effects).toEqual(['appended', 'duplicate', 'appended', 'duplicate']);
    expect(entry).toMatchObject({ chunks: 2, bytes: 10, nextSeq: 2 });
  });

  it('lists at most MAX_MISSING_SEQUENCES missing sequences', () => {
    const update = applyChunk(emptyLogIndexEntry(chunk(0)), chunk(1_000_000));
    expect(update.entry.missing).toHaveLength(MAX_MISSING_SEQUENCES);
    expect(update.entry.nextSeq).toBe(1_000_001);
    expect(update.gap).toEqual({ fromSeq: 0, toSeq: 999_999 });
  });

  it('names the gap a chunk found, and finds it again once counted', () => {
    const { entry } = applyAll([chunk(0), chunk(1), chunk(5), chunk(3)]);
    const found = applyChunk(applyAll([chunk(0), chunk(1)]).entry, chunk(5));
    expect(found.gap).toEqual({ fromSeq: 2, toSeq: 4 });
    expect(entry.missing).toEqual([2, 4]);
    expect(gapEndingBefore(entry, 5)).toEqual({ fromSeq: 4, toSeq: 4 });
    expect(gapEndingBefore(entry, 3)).toEqual({ fromSeq: 2, toSeq: 2 });
    expect(gapEndingBefore(entry, 1)).toBeUndefined();
    expect(applyChunk(entry, chunk(6)).gap).toBeUndefined();
  });
});
