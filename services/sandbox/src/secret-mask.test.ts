import { describe, expect, it } from 'vitest';
import type { OutputSink } from './runner.js';
import {
  maskPatterns,
  SECRET_MASK,
  SecretMasker,
  SecretMaskingSink,
} from './secret-mask.js';

/** Output in `pieces`, masked piece by piece, then ended. */
function maskPieces(values: string[], pieces: Buffer[]): Buffer {
  const masker = new SecretMasker(maskPatterns(values));
  const out = pieces.map((piece) => masker.push(piece));
  return Buffer.concat([...out, masker.end()]);
}

function mask(values: string[], text: string | Buffer): string {
  return maskPieces(values, [Buffer.from(text)]).toString('utf8');
}

/** Every way of cutting `text` in two, and in pieces of each size. */
function cuts(text: Buffer): Buffer[][] {
  const ways: Buffer[][] = [];
  for (let at = 0; at <= text.length; at++) {
    ways.push([text.subarray(0, at), text.subarray(at)]);
  }
  for (let size = 1; size <= 7; size++) {
    const pieces: Buffer[] = [];
    for (let at = 0; at < text.length; at += size) {
      pieces.push(text.subarray(at, at + size));
    }
    ways.push(pieces);
  }
  return ways;
}

/** A sink that records what reaches it, per stream. */
function recordingSink() {
  const seen = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const sink: OutputSink = {
    write(stream, data) {
      seen[stream].push(Buffer.from(data));
      return true;
    },
    drained: () => Promise.resolve(),
  };
  const text = (stream: 'stdout' | 'stderr') =>
    Buffer.concat(seen[stream]).toString('utf8');
  return { sink, seen, text };
}

describe('secret masking', () => {
  it('replaces every occurrence of a value', () => {
    expect(mask(['hunter22'], 'pw=hunter22; again hunter22\n')).toBe(
      `pw=${SECRET_MASK}; again ${SECRET_MASK}\n`,
    );
  });

  it('masks a value cut at every byte position, and in small pieces', () => {
    const secret = 'abcdef-secret';
    const text = Buffer.from(`x ${secret} y ab abc ${secret}${secret} z`);
    const whole = mask([secret], text);
    expect(whole).toBe(`x *** y ab abc ****** z`);

    for (const pieces of cuts(text)) {
      expect(maskPieces([secret], pieces).toString('utf8')).toBe(whole);
    }
  });

  it('holds back only what could start a secret', () => {
    const masker = new SecretMasker(maskPatterns(['abcdef']));

    expect(masker.push(Buffer.from('hello world')).toString()).toBe(
      'hello world',
    );
    expect(masker.push(Buffer.from('done, abc')).toString()).toBe('done, ');
    expect(masker.pendingBytes).toBe(3);
    expect(masker.push(Buffer.from('d')).toString()).toBe('');
    expect(masker.push(Buffer.from('x')).toString()).toBe('abcdx');
    expect(masker.push(Buffer.from('ab')).toString()).toBe('');
    expect(masker.end().toString()).toBe('ab');
  });

  it('masks each line of a multi-line value, but not short lines', () => {
    const key = [
      '-----BEGIN KEY-----',
      'MIIBOgIBAAJBAKj34GkxFhD9',
      '}',
      'ab',
      '-----END KEY-----',
    ].join('\n');

    const text = [
      'whole:',
      key,
      'lines apart: MIIBOgIBAAJBAKj34GkxFhD9 and -----END KEY-----',
      'windows line ending: -----BEGIN KEY-----\r',
      'short lines stay: } ab',
    ].join('\n');

    expect(mask([key], text)).toBe(
      [
        'whole:',
        '***',
        'lines apart: *** and ***',
        'windows line ending: ***\r',
        'short lines stay: } ab',
      ].join('\n'),
    );
    for (const pieces of cuts(Buffer.from(text))) {
      expect(maskPieces([key], pieces).toString('utf8')).toBe(
        mask([key], text),
      );
    }
  });

  it('masks overlapping secrets as one stretch, leaving no part out', () => {
    const values = ['abcd1234', '1234wxyz', 'd123'];
    const text = Buffer.from('[abcd1234wxyz] [1234wxyz] [xd123x] [abcd1234]');

    const whole = mask(values, text);

    expect(whole).toBe('[***] [***] [x***x] [***]');
    for (const pieces of cuts(text)) {
      expect(maskPieces(values, pieces).toString('utf8')).toBe(whole);
    }
  });

  it('masks a secret inside another one, and one repeated back to back', () => {
    const values = ['secretvalue', 'value'];

    expect(mask(values, 'mysecretvalue value valuevalue')).toBe(
      'my*** *** ******',
    );
    expect(mask(['aaaa'], 'aaaaaaaaa b aaa')).toBe('*** b aaa');
  });

  it('masks secrets in binary output without touching the other bytes', () => {
    const secret = 'tok\u00e9n-42';
    const noise = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x74, 0x6f]);
    const text = Buffer.concat([
      noise,
      Buffer.from(secret),
      noise,
      Buffer.from(secret).subarray(0, 4),
    ]);

    const expected = Buffer.concat([
      noise,
      Buffer.from(SECRET_MASK),
      noise,
      Buffer.from(secret).subarray(0, 4),
    ]);
    for (const pieces of cuts(text)) {
      expect(maskPieces([secret], pieces).equals(expected)).toBe(true);
    }
  });

  it('gives the same result however random output is cut', () => {
    // A small alphabet makes overlaps and near misses common.
    let seed = 42;
    const random = (below: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % below;
    };
    const word = (length: number) =>
      Array.from({ length }, () => 'ab\nc'[random(4)]).join('');

    for (let round = 0; round < 300; round++) {
      const values = [word(1 + random(6)), word(2 + random(8))];
      const text = Buffer.from(word(random(60)));
      const whole = maskPieces(values, [text]);
      for (const value of values) {
        expect(whole.includes(value), whole.toString()).toBe(false);
      }
      const pieces: Buffer[] = [];
      for (let at = 0; at < text.length; ) {
        const size = random(5);
        pieces.push(text.subarray(at, at + size));
        at += size;
      }
      expect(maskPieces(values, pieces).equals(whole)).toBe(true);
    }
  });

  it('passes output through untouched when no secret is granted', () => {
    const text = Buffer.from('abc\u0000def');

    expect(maskPieces([], [text]).equals(text)).toBe(true);
  });
});

describe('the masking output sink', () => {
  it('masks stdout and stderr each on its own and flushes at the end', () => {
    const { sink, text } = recordingSink();
    const masking = new SecretMaskingSink(['s3cr3t-value'], sink);

    masking.write('stdout', Buffer.from('out s3cr3t'));
    masking.write('stderr', Buffer.from('err s3cr3t-value, s3c'));
    masking.write('stdout', Buffer.from('-value done s3'));
    masking.end();

    expect(text('stdout')).toBe('out *** done s3');
    expect(text('stderr')).toBe('err ***, s3c');
  });

  it('masks a value in a message', () => {
    const { sink } = recordingSink();
    const masking = new SecretMaskingSink(['p4ssw0rd'], sink);

    expect(masking.maskText('Command "x p4ssw0rd" failed.')).toBe(
      'Command "x ***" failed.',
    );
  });

  it('reports the inner sink asking to pause reading', () => {
    const inner: OutputSink = {
      write: () => false,
      drained: () => Promise.resolve(),
    };
    const masking = new SecretMaskingSink(['abcdef'], inner);

    expect(masking.write('stdout', Buffer.from('xyz'))).toBe(false);
    // Held back entirely: nothing was written, so reading may go on.
    expect(masking.write('stdout', Buffer.from('abc'))).toBe(true);
  });
});
