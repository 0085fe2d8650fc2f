import { describe, expect, it } from 'vitest';
import { OutputTail } from './tail.js';

describe('captured output', () => {
  it('keeps everything while under the limit', () => {
    const tail = new OutputTail(10);
    tail.push(Buffer.from('abc'));
    tail.push(Buffer.from('def'));

    expect(tail.text()).toBe('abcdef');
    expect(tail.truncated).toBe(false);
  });

  it('keeps only the last bytes past the limit', () => {
    const tail = new OutputTail(5);
    tail.push(Buffer.from('0123'));
    tail.push(Buffer.from('4567'));
    tail.push(Buffer.from('89'));

    expect(tail.text()).toBe('56789');
    expect(tail.truncated).toBe(true);
  });

  it('drops a character cut in half at the front', () => {
    const tail = new OutputTail(4);
    tail.push(Buffer.from('xé€'));

    // 'é€' is 5 bytes; the cut leaves one byte of 'é', which is dropped.
    expect(tail.text()).toBe('€');
  });

  it('replaces invalid UTF-8 with replacement characters', () => {
    const tail = new OutputTail(10);
    tail.push(Buffer.from([0x61, 0xff, 0x62]));

    expect(tail.text()).toBe('a\uFFFDb');
  });
});
