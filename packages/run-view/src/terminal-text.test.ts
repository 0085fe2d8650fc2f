import { describe, expect, it } from 'vitest';
import { paletteColour } from './terminal-colors.js';
import { styledSpans, visibleText } from './terminal-text.js';

describe('visibleText', () => {
  it('returns a line without controls as it is', () => {
    expect(visibleText('plain\ttext é 漢字 🚀')).toBe('plain\ttext é 漢字 🚀');
    expect(visibleText('')).toBe('');
  });

  it('removes SGR, private mode and other CSI sequences', () => {
    expect(visibleText('\x1b[1;31mred\x1b[0m and \x1b[mplain')).toBe(
      'red and plain',
    );
    expect(visibleText('\x1b[?25lhidden cursor\x1b[?25h')).toBe(
      'hidden cursor',
    );
    expect(visibleText('a\x1b[2Cb\x1b[10;20Hc')).toBe('abc');
  });

  it('removes OSC strings ending in BEL or ESC \\ and other ESC sequences', () => {
    expect(visibleText('\x1b]0;title\x07text')).toBe('text');
    expect(
      visibleText('\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\'),
    ).toBe('link');
    expect(visibleText('\x1b(Bx\x1b7y\x1b8\x1bPdata\x1b\\z')).toBe('xyz');
  });

  it('drops a sequence cut off by the end of the line', () => {
    expect(visibleText('text\x1b[31')).toBe('text');
    expect(visibleText('text\x1b]0;never ended')).toBe('text');
    expect(visibleText('text\x1b')).toBe('text');
  });

  it('removes C0 controls but keeps tabs', () => {
    expect(visibleText('a\x00b\x07c\x08d\te')).toBe('abcd\te');
  });

  it('collapses carriage returns as a terminal overwrites its line', () => {
    expect(visibleText('abcdef\rXY')).toBe('XYcdef');
    expect(visibleText('10%\r20%\r100%')).toBe('100%');
    expect(visibleText('done\r')).toBe('done');
    expect(visibleText('\x1b[32m50%\x1b[0m\r\x1b[32m100%\x1b[0m')).toBe('100%');
    expect(visibleText('漢字🚀\rx')).toBe('x字🚀');
    expect(visibleText('\x1b[32mok\x1b[0m done\r')).toBe('ok done');
    expect(visibleText('ab\r\r')).toBe('ab');
    expect(visibleText('\x1b[1mabc\x1b[0m\r\x1b[31mX\x1b[0m')).toBe('Xbc');
    expect(visibleText('a\rbc\rd')).toBe('dc');
  });

  it('applies erase in line', () => {
    expect(visibleText('abcdef\r\x1b[KXY')).toBe('XY');
    expect(visibleText('abcdef\r\x1b[0KXY')).toBe('XY');
    expect(visibleText('abcdef\rab\x1b[1Kz')).toBe('  zdef');
    expect(visibleText('abc\x1b[2Kd')).toBe('   d');
    expect(visibleText('abcdef\rab\x1b[1Kxyz\x1b[2Kq')).toBe('     q');
    expect(visibleText('abcdef\x1b[2K\rXY\x1b[1K\rZ')).toBe('Z     ');
    expect(visibleText('abcdef\rabc\x1b[K\x1b[1Kz')).toBe('   z');
  });

  it('agrees with a column-by-column terminal on rewrites and erases', () => {
    const pieces = ['ab', 'xyz', '\r', '\x1b[K', '\x1b[1K', '\x1b[2K', 'q'];
    let seed = 11;
    const pick = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return pieces[seed % pieces.length] as string;
    };
    for (let round = 0; round < 500; round++) {
      const line = Array.from({ length: 1 + (round % 12) }, pick).join('');
      expect(visibleText(line), JSON.stringify(line)).toBe(terminalModel(line));
    }
  });

  it('takes time in proportion to a line full of rewrites or erases', () => {
    const rewrites = `${'X'.repeat(500_000)}${'\rab'.repeat(100_000)}`;
    const erases = 'xy\x1b[2K'.repeat(100_000);
    const started = performance.now();
    expect(visibleText(rewrites)).toBe(`ab${'X'.repeat(499_998)}`);
    expect(visibleText(erases)).toBe(' '.repeat(200_000));
    expect(styledSpans(erases)).toEqual([{ text: ' '.repeat(200_000) }]);
    // Each took over half a minute when every rewrite or erase copied
    // the line.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

/**
 * A terminal line played column by column, for lines of text, "\r" and
 * erase-in-line only: what visibleText must agree with.
 */
function terminalModel(line: string): string {
  const columns: string[] = [];
  let cursor = 0;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is the point
  for (const token of line.match(/\x1b\[[0-2]?K|\r|[^\r\x1b]/g) ?? []) {
    if (token === '\r') {
      cursor = 0;
    } else if (token === '\x1b[K') {
      columns.length = Math.min(columns.length, cursor);
    } else if (token === '\x1b[1K') {
      for (let at = 0; at <= cursor && at < columns.length; at++) {
        columns[at] = ' ';
      }
    } else if (token === '\x1b[2K') {
      columns.fill(' ');
    } else {
      columns[cursor++] = token;
    }
  }
  return columns.join('');
}

describe('styledSpans', () => {
  it('returns one unstyled span for plain text, none for an empty line', () => {
    expect(styledSpans('plain')).toEqual([{ text: 'plain' }]);
    expect(styledSpans('')).toEqual([]);
    expect(styledSpans('\x1b[31m\x1b[0m')).toEqual([]);
  });

  it('sets and resets the attributes of SGR 0-9 and 22-29', () => {
    expect(
      styledSpans(
        '\x1b[1ma\x1b[2mb\x1b[22mc\x1b[3;4md\x1b[23;24me' +
          '\x1b[7;9mf\x1b[27mg\x1b[29mh\x1b[1mi\x1b[0mj',
      ),
    ).toEqual([
      { text: 'a', bold: true },
      { text: 'b', bold: true, dim: true },
      { text: 'c' },
      { text: 'd', italic: true, underline: true },
      { text: 'e' },
      { text: 'f', inverse: true, strike: true },
      { text: 'g', strike: true },
      { text: 'h' },
      { text: 'i', bold: true },
      { text: 'j' },
    ]);
  });

  it('maps the 16 colours, the palette and 24-bit colours to CSS', () => {
    const spans = styledSpans(
      '\x1b[31ma\x1b[91mb\x1b[39mc\x1b[44md\x1b[104me\x1b[49mf' +
        '\x1b[38;5;196mg\x1b[48;5;232mh\x1b[38;2;1;2;255mi' +
        '\x1b[48;2;16;32;48mj\x1b[38:2::10:20:30mk\x1b[38:5:21ml',
    );
    expect(spans).toEqual([
      { text: 'a', fg: paletteColour(1) },
      { text: 'b', fg: paletteColour(9) },
      { text: 'c' },
      { text: 'd', bg: paletteColour(4) },
      { text: 'e', bg: paletteColour(12) },
      { text: 'f' },
      { text: 'g', fg: '#ff0000' },
      { text: 'h', fg: '#ff0000', bg: '#080808' },
      { text: 'i', fg: '#0102ff', bg: '#080808' },
      { text: 'j', fg: '#0102ff', bg: '#102030' },
      { text: 'k', fg: '#0a141e', bg: '#102030' },
      { text: 'l', fg: '#0000ff', bg: '#102030' },
    ]);
  });

  it('merges neighbours of the same style and ignores unknown codes', () => {
    expect(styledSpans('\x1b[31mab\x1b[31mcd\x1b[5;53mef')).toEqual([
      { text: 'abcdef', fg: paletteColour(1) },
    ]);
  });

  it('keeps each overwritten column in the style it was written with', () => {
    expect(styledSpans('\x1b[31mabcdef\r\x1b[0mXY')).toEqual([
      { text: 'XY' },
      { text: 'cdef', fg: paletteColour(1) },
    ]);
  });

  it('chooses basic colours that show on a dark background', () => {
    for (let index = 0; index < 16; index++) {
      const colour = paletteColour(index) ?? '';
      const [red, green, blue] = [1, 3, 5].map((at) =>
        Number.parseInt(colour.slice(at, at + 2), 16),
      );
      const light = 0.2126 * (red ?? 0) + 0.7152 * (green ?? 0);
      expect(light + 0.0722 * (blue ?? 0)).toBeGreaterThan(80);
    }
    expect(paletteColour(256)).toBeUndefined();
    expect(paletteColour(16)).toBe('#000000');
    expect(paletteColour(231)).toBe('#ffffff');
  });
});
