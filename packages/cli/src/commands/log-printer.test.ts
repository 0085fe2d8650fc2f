import type { StoredLogChunk } from '@river/protocol';
import { describe, expect, it } from 'vitest';
import { LogPrinter, parseByteRange } from './log-printer.js';

const chunk = (
  taskId: string,
  attempt: number,
  data: number[] | string,
  stream: StoredLogChunk['stream'] = 'stdout',
): StoredLogChunk => ({
  taskId,
  attempt,
  seq: 0,
  stream,
  data: typeof data === 'string' ? Buffer.from(data) : Uint8Array.from(data),
});

function printAll(printer: LogPrinter, chunks: StoredLogChunk[]): string {
  const pieces = chunks.flatMap((c) => printer.print(c));
  pieces.push(...printer.end());
  return pieces
    .map((piece) =>
      typeof piece === 'string' ? piece : Buffer.from(piece).toString(),
    )
    .join('');
}

describe('LogPrinter', () => {
  it('shows bytes that are not UTF-8 as replacement characters', () => {
    const printer = new LogPrinter({ taskId: 't', raw: false });
    expect(printAll(printer, [chunk('t', 1, [0x70, 0xff, 0xfe, 0x0a])])).toBe(
      'p\uFFFD\uFFFD\n',
    );
  });

  it('prints a character split between two chunks whole', () => {
    const printer = new LogPrinter({ taskId: 't', raw: false });
    // "é" is 0xc3 0xa9.
    const text = printAll(printer, [
      chunk('t', 1, [0x61, 0xc3]),
      chunk('t', 1, [0xa9, 0x0a]),
    ]);
    expect(text).toBe('aé\n');
  });

  it('writes the bytes unchanged when raw', () => {
    const printer = new LogPrinter({ raw: true });
    const pieces = printer.print(chunk('t', 1, [0xff, 0x00]));
    expect(pieces[1]).toEqual(Uint8Array.from([0xff, 0x00]));
  });

  it('heads each task attempt, on a line of its own', () => {
    const printer = new LogPrinter({ raw: false });
    const text = printAll(printer, [
      chunk('a', 1, 'no newline'),
      chunk('b', 1, 'b out\n'),
    ]);
    expect(text).toBe(
      '==> a (attempt 1) <==\nno newline\n==> b (attempt 1) <==\nb out\n',
    );
  });

  it('heads one task only where a retry begins', () => {
    const printer = new LogPrinter({ taskId: 't', raw: false });
    const text = printAll(printer, [
      chunk('t', 1, 'first\n'),
      chunk('t', 2, 'second\n'),
    ]);
    expect(text).toBe('first\n==> t (attempt 2) <==\nsecond\n');
  });
});

describe('parseByteRange', () => {
  it('reads offset:length and refuses anything else', () => {
    expect(parseByteRange('10:20')).toEqual({ offset: 10, length: 20 });
    expect(() => parseByteRange('10')).toThrow(/--bytes takes offset:length/);
    expect(() => parseByteRange('1:0')).toThrow(/--bytes/);
  });
});
