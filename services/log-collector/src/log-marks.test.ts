import type { LogChunk, LogMark } from '@river/protocol';
import { describe, expect, it } from 'vitest';
import {
  addMark,
  applyChunk,
  emptyLogIndexEntry,
  MARK_EVERY_BYTES,
  MAX_MARKS,
  markBefore,
} from './log-index.js';

const chunk = (
  seq: number,
  stream: LogChunk['stream'],
  bytes: number,
): LogChunk => ({
  schema: 1,
  runId: 'run-a',
  taskId: 'task-1',
  attempt: 1,
  seq,
  stream,
  data: new Uint8Array(bytes),
  last: false,
});

describe('log index marks', () => {
  it('count each output apart and mark a chunk every 64 KiB of it', () => {
    let entry = emptyLogIndexEntry(chunk(0, 'stdout', 0));
    // 40 KiB chunks of stdout, stored at stream sequences 10, 12, 14…,
    // with a small stderr chunk between each.
    for (let i = 0; i < 8; i++) {
      entry = applyChunk(
        entry,
        chunk(2 * i, 'stdout', 40_960),
        10 + 2 * i,
      ).entry;
      entry = applyChunk(
        entry,
        chunk(2 * i + 1, 'stderr', 10),
        11 + 2 * i,
      ).entry;
    }
    expect(entry.streamBytes).toEqual({ stdout: 8 * 40_960, stderr: 80 });
    const stdoutMarks = (entry.marks ?? []).filter(
      (mark) => mark.stream === 'stdout',
    );
    // Offsets 0, 81920, 163840, 245760: every other 40 KiB chunk.
    expect(stdoutMarks.map((mark) => mark.offset)).toEqual([
      0, 81_920, 163_840, 245_760,
    ]);
    expect(stdoutMarks.map((mark) => mark.streamSeq)).toEqual([10, 14, 18, 22]);
    const start = markBefore(entry.marks ?? [], 'stdout', 200_000);
    expect(start).toEqual({ stream: 'stdout', streamSeq: 18, offset: 163_840 });
    expect(markBefore(entry.marks ?? [], 'stderr', 0)?.streamSeq).toBe(11);
  });

  it('thin out to at most MAX_MARKS, keeping the first', () => {
    let marks: LogMark[] = [];
    for (let i = 0; i <= MAX_MARKS; i++) {
      marks = addMark(marks, {
        stream: 'stdout',
        streamSeq: i + 1,
        offset: i * MARK_EVERY_BYTES,
      });
    }
    expect(marks.length).toBeLessThanOrEqual(MAX_MARKS);
    expect(marks[0]?.offset).toBe(0);
    // Marks stay in order, so the one before an offset is still found.
    const found = markBefore(marks, 'stdout', 1_000 * MARK_EVERY_BYTES + 5);
    expect(found?.offset).toBeLessThanOrEqual(1_000 * MARK_EVERY_BYTES);
    expect(found?.offset).toBeGreaterThan(997 * MARK_EVERY_BYTES);
  });

  it('leave a late chunk unmarked, since later marks already passed it', () => {
    let entry = emptyLogIndexEntry(chunk(0, 'stdout', 0));
    entry = applyChunk(entry, chunk(0, 'stdout', 100), 1).entry;
    entry = applyChunk(entry, chunk(2, 'stdout', 100_000), 2).entry;
    const late = applyChunk(entry, chunk(1, 'stdout', 100_000), 3);
    expect(late.effect).toBe('filled');
    expect(late.entry.marks).toEqual(entry.marks);
    expect(late.entry.streamBytes?.stdout).toBe(200_100);
  });
});
