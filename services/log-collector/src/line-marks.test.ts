import type { LineMark, LogChunk } from '@river/protocol';
import { describe, expect, it } from 'vitest';
import {
  addLineMark,
  countNewlines,
  LINE_MARK_EVERY_BYTES,
  lineMarkBefore,
  MAX_LINE_MARKS,
  totalLines,
} from './line-marks.js';
import { applyChunk, emptyLogIndexEntry } from './log-index.js';

const text = (value: string) => new TextEncoder().encode(value);

const chunk = (
  seq: number,
  data: Uint8Array,
  stream: LogChunk['stream'] = 'stdout',
): LogChunk => ({
  schema: 1,
  runId: 'run-a',
  taskId: 'task-1',
  attempt: 1,
  seq,
  stream,
  data,
  last: false,
});

describe('line marks', () => {
  it('count newlines in any data', () => {
    expect(countNewlines(text(''))).toBe(0);
    expect(countNewlines(text('a\nb\n\nc'))).toBe(3);
    const big = Buffer.alloc(100_000, 'x');
    big.fill('\n', 50_000, 50_010);
    expect(countNewlines(big.subarray(49_995))).toBe(10);
  });

  it('count lines of both streams and mark a chunk every 64 KiB', () => {
    let entry = emptyLogIndexEntry(chunk(0, text('')));
    const line = `${'x'.repeat(99)}\n`;
    // 40,000 bytes of stdout (400 lines), then a stderr line without
    // "\n", stored at stream sequences 10, 11, 12…
    for (let seq = 0; seq < 8; seq++) {
      entry = applyChunk(
        entry,
        chunk(2 * seq, text(line.repeat(400))),
        10 + 2 * seq,
      ).entry;
      entry = applyChunk(
        entry,
        chunk(2 * seq + 1, text('warning'), 'stderr'),
        11 + 2 * seq,
      ).entry;
    }
    expect(entry.lines).toBe(8 * 400);
    expect(entry.openLine).toBe(true);
    expect(totalLines(entry)).toBe(8 * 400 + 1);
    // Boundaries at 0, 65536, 131072…: in the stdout chunks 0, 1, 3, 4, 6.
    expect(entry.lineMarks).toEqual([
      { streamSeq: 10, line: 0 },
      { streamSeq: 12, line: 400 },
      { streamSeq: 16, line: 1_200 },
      { streamSeq: 18, line: 1_600 },
      { streamSeq: 22, line: 2_400 },
    ]);
    expect(
      (entry.lineMarks ?? []).every(
        (mark, index, marks) =>
          index === 0 ||
          mark.line - (marks[index - 1]?.line ?? 0) <=
            (2 * LINE_MARK_EVERY_BYTES) / 100,
      ),
    ).toBe(true);
    // A chunk after 400 newlines may start in the middle of line 401.
    const marks = entry.lineMarks ?? [];
    expect(lineMarkBefore(marks, 1)?.streamSeq).toBe(10);
    expect(lineMarkBefore(marks, 401)?.streamSeq).toBe(10);
    expect(lineMarkBefore(marks, 402)?.streamSeq).toBe(12);
    expect(lineMarkBefore([], 402)).toBeUndefined();
  });

  it('leave an entry counted before lines were alone', () => {
    const old = {
      ...emptyLogIndexEntry(chunk(0, text(''))),
      chunks: 3,
      bytes: 300,
      nextSeq: 3,
    };
    const next = applyChunk(old, chunk(3, text('a\nb\n')), 40).entry;
    expect(next.lines).toBeUndefined();
    expect(next.lineMarks).toBeUndefined();
    expect(totalLines(next)).toBeUndefined();
  });

  it('thin out to at most MAX_LINE_MARKS, keeping the first', () => {
    let marks: LineMark[] = [];
    for (let index = 0; index <= MAX_LINE_MARKS; index++) {
      marks = addLineMark(marks, { streamSeq: index + 1, line: index * 10 });
    }
    expect(marks.length).toBeLessThanOrEqual(MAX_LINE_MARKS);
    expect(marks[0]).toEqual({ streamSeq: 1, line: 0 });
    const found = lineMarkBefore(marks, 15_001);
    expect(found?.line).toBeLessThan(15_000);
    expect(found?.line).toBeGreaterThan(14_970);
  });
});
