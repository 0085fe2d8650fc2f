import { describe, expect, it } from 'vitest';
import { LineReader } from './line-reader.js';

function reader(maxBytes: number) {
  const lines: string[] = [];
  let tooLong = 0;
  const read = new LineReader(maxBytes, {
    line: (text) => lines.push(text),
    tooLong: () => {
      tooLong += 1;
    },
  });
  return { read, lines, tooLong: () => tooLong };
}

describe('a line reader', () => {
  it('gives whole lines however the stream is cut, characters included', () => {
    const { read, lines } = reader(100);
    const bytes = Buffer.from('first\nsé\ncond\nthi');

    for (let i = 0; i < bytes.length; i++) {
      read.push(bytes.subarray(i, i + 1));
    }
    read.push(Buffer.from('rd\n'));

    expect(lines).toEqual(['first', 'sé', 'cond', 'third']);
  });

  it('gives up once a line is longer than its limit, and reads no more', () => {
    const { read, lines, tooLong } = reader(8);

    read.push(Buffer.from('short\n0123'));
    read.push(Buffer.from('45678'));
    read.push(Buffer.from('9\nafter\n'));

    expect(lines).toEqual(['short']);
    expect(tooLong()).toBe(1);
  });
});
