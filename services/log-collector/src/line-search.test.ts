import { describe, expect, it } from 'vitest';
import { LineCollector } from './line-collector.js';
import { LineSearch } from './line-search.js';

const output = Buffer.from(
  [
    'first é line',
    '\x1b[32mcoloured\x1b[0m é',
    '50%\r100% é',
    '',
    'last without newline é',
  ].join('\n'),
);

/** `bytes` cut into pieces of `size`, as chunks cut output anywhere. */
function pieces(bytes: Buffer, size: number): Buffer[] {
  const cut: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    cut.push(bytes.subarray(at, at + size));
  }
  return cut;
}

describe('lines of output pushed in pieces', () => {
  it('come out the same wherever the pieces end', () => {
    for (const size of [1, 2, 3, 7, 1_000]) {
      const collector = new LineCollector({
        first: 2,
        count: 3,
        tail: false,
        linesBefore: 0,
      });
      for (const piece of pieces(output, size)) {
        collector.push(piece);
      }
      expect(collector.finish()).toEqual({
        lines: ['\x1b[32mcoloured\x1b[0m é', '50%\r100% é', ''],
        firstLine: 2,
        linesSeen: 5,
      });

      const tail = new LineCollector({
        first: 1,
        count: 2,
        tail: true,
        linesBefore: 0,
      });
      for (const piece of pieces(output, size)) {
        tail.push(piece);
      }
      expect(tail.finish()).toEqual({
        lines: ['', 'last without newline é'],
        firstLine: 4,
        linesSeen: 5,
      });
    }
  });

  it('are searched the same wherever the pieces end', () => {
    for (const size of [1, 2, 3, 7, 1_000]) {
      const search = new LineSearch('É', { caseSensitive: false, maxHits: 2 });
      for (const piece of pieces(output, size)) {
        search.push(piece);
      }
      expect(search.finish()).toEqual({
        hits: 4,
        matchingLines: 4,
        hitLines: [1, 2],
        totalLines: 5,
      });
    }
  });

  it('count lines after the window without keeping them', () => {
    const collector = new LineCollector({
      first: 11,
      count: 1,
      tail: false,
      linesBefore: 10,
    });
    collector.push(Buffer.from('a\nb\nc\n'));
    expect(collector.full).toBe(true);
    expect(collector.finish()).toEqual({
      lines: ['a'],
      firstLine: 11,
      linesSeen: 13,
    });
  });
});
