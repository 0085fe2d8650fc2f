/**
 * What a terminal shows of one line of raw output: the text with its
 * escape sequences applied and removed, and carriage returns acting as
 * they do on a terminal (what follows overwrites the line from its
 * start). Pure string work, for the log-collector's search and the web
 * UI's log viewer alike.
 */
import {
  applySgr,
  sameStyle,
  type TextStyle,
  UNSTYLED,
} from './terminal-style.js';

export type { TextStyle } from './terminal-style.js';

/** A run of visible text in one style. */
export interface StyledSpan extends TextStyle {
  text: string;
}

const ESC = 0x1b;
const BEL = 0x07;
const CR = 0x0d;
const TAB = 0x09;

/** C0 controls but tab: a line without any shows as it is. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are the point
const CONTROLS = /[\u0000-\u0008\u000a-\u001f]/;

/** Halves of characters outside the basic plane, which take two units. */
const SURROGATES = /[\ud800-\udfff]/;

/**
 * The text a terminal shows for `line`: every escape sequence (CSI,
 * private modes included; OSC ending in BEL or ESC \; any other ESC
 * sequence) and C0 control but tab removed, carriage returns collapsed
 * (`"abcdef\rXY"` shows `"XYcdef"`, `"10%\r20%\r100%"` shows `"100%"`,
 * a trailing `"\r"` changes nothing) and erase-in-line (`ESC [ K`)
 * applied.
 *
 * @example
 * ```ts
 * visibleText('\x1b[32mok\x1b[0m 10%\r\x1b[Kdone'); // 'done'
 * ```
 */
export function visibleText(line: string): string {
  if (!CONTROLS.test(line)) {
    return line;
  }
  // Carriage returns at the end (CRLF output) overwrite nothing.
  let end = line.length;
  while (end > 0 && line.charCodeAt(end - 1) === CR) {
    end--;
  }
  const body = end === line.length ? line : line.slice(0, end);
  if (!CONTROLS.test(body)) {
    return body;
  }
  const overlaid = overlaySegments(body);
  if (overlaid !== undefined) {
    return overlaid;
  }
  const canvas = new LineCanvas();
  render(body, canvas);
  canvas.settle();
  return canvas.chars.join('');
}

/**
 * The text of a line whose carriage returns only overwrite (no erase, no
 * character outside the basic plane): each part after a "\r" laid over
 * the text before it. `undefined` for any other line, which takes the
 * terminal's model. Most output (coloured lines, progress counters) is
 * like this, and is several times faster to show this way.
 */
function overlaySegments(line: string): string | undefined {
  if (SURROGATES.test(line)) {
    return undefined;
  }
  const parts: string[] = [];
  for (const segment of line.split('\r')) {
    const part = stripEscapes(segment);
    if (part === undefined) {
      return undefined;
    }
    parts.push(part);
  }
  // Each column shows the last part that reaches it. Laying the parts
  // from the last one back only appends the columns still uncovered, so
  // a long text under many short rewrites costs its length once rather
  // than once per rewrite.
  let text = parts.pop() ?? '';
  for (let index = parts.length - 1; index >= 0; index--) {
    const part = parts[index] as string;
    if (part.length > text.length) {
      text += part.slice(text.length);
    }
  }
  return text;
}

/**
 * The text of a line without carriage returns, its escape sequences and
 * controls removed; `undefined` when it erases part of itself, which
 * takes the terminal's model.
 */
function stripEscapes(line: string): string | undefined {
  let text = '';
  let at = 0;
  while (at < line.length) {
    const code = line.charCodeAt(at);
    if (code === ESC) {
      if (line.charCodeAt(at + 1) === 0x5b) {
        const end = csiEnd(line, at + 2);
        if (line.charCodeAt(end - 1) === 0x4b) {
          return undefined;
        }
        at = end;
      } else {
        at = escapeEnd(line, at);
      }
    } else if (isControl(code)) {
      at++;
    } else {
      let end = at + 1;
      while (end < line.length && !isControl(line.charCodeAt(end))) {
        end++;
      }
      text += line.slice(at, end);
      at = end;
    }
  }
  return text;
}

/**
 * The visible text of `line` (see {@link visibleText}) cut into spans of
 * one style each, as SGR sequences set it: bold, dim, italic, underline,
 * inverse, strike-through, the 16 colours, the 256-colour palette and
 * 24-bit colours, as CSS colours that read well on a dark background.
 * Every line starts unstyled.
 *
 * @example
 * ```ts
 * styledSpans('\x1b[1;31mFAIL\x1b[0m test');
 * // [{ text: 'FAIL', fg: '#e06c75', bold: true }, { text: ' test' }]
 * ```
 */
export function styledSpans(line: string): StyledSpan[] {
  if (!CONTROLS.test(line)) {
    return line === '' ? [] : [{ text: line }];
  }
  const canvas = new LineCanvas();
  render(line, canvas);
  canvas.settle();

  const spans: StyledSpan[] = [];
  let start = 0;
  for (let at = 1; at <= canvas.chars.length; at++) {
    const style = canvas.styles[start] ?? UNSTYLED;
    if (
      at === canvas.chars.length ||
      !sameStyle(style, canvas.styles[at] ?? UNSTYLED)
    ) {
      spans.push({ text: canvas.chars.slice(start, at).join(''), ...style });
      start = at;
    }
  }
  return spans;
}

/**
 * One terminal line: a character and its style per column, a cursor.
 * Erasing up to the cursor or the whole line only notes how far it
 * reaches; {@link LineCanvas.settle} blanks what each erase covered, so a
 * line of many erases costs its length once rather than once per erase.
 */
class LineCanvas {
  readonly chars: string[] = [];
  readonly styles: TextStyle[] = [];
  style: TextStyle = UNSTYLED;
  column = 0;
  /** Per column, how many erases came before its character was written. */
  readonly #writtenAfter: number[] = [];
  /** Per erase, in order, the column it blanks up to (excluded). */
  readonly #erasedUpTo: number[] = [];

  write(text: string): void {
    const erases = this.#erasedUpTo.length;
    for (const char of text) {
      this.chars[this.column] = char;
      this.styles[this.column] = this.style;
      this.#writtenAfter[this.column] = erases;
      this.column++;
    }
  }

  /** Erase in line: 0 from the cursor on, 1 up to it, 2 all of it. */
  erase(mode: number): void {
    if (mode === 0) {
      this.chars.length = Math.min(this.chars.length, this.column);
      this.styles.length = this.chars.length;
      this.#writtenAfter.length = this.chars.length;
      return;
    }
    this.#erasedUpTo.push(
      mode === 1 ? this.column + 1 : Number.POSITIVE_INFINITY,
    );
  }

  /** Blanks every column an erase after its writing covered. */
  settle(): void {
    const erases = this.#erasedUpTo;
    if (erases.length === 0) {
      return;
    }
    // The farthest reach of the erases from the n-th on.
    const reach = new Array<number>(erases.length + 1).fill(0);
    for (let index = erases.length - 1; index >= 0; index--) {
      reach[index] = Math.max(reach[index + 1] ?? 0, erases[index] ?? 0);
    }
    for (let at = 0; at < this.chars.length; at++) {
      if ((reach[this.#writtenAfter[at] ?? 0] ?? 0) > at) {
        this.chars[at] = ' ';
        this.styles[at] = UNSTYLED;
      }
    }
  }
}

/** Plays `line` onto `canvas`. */
function render(line: string, canvas: LineCanvas): void {
  let at = 0;
  while (at < line.length) {
    const code = line.charCodeAt(at);
    if (code === ESC) {
      at = playEscape(line, at, canvas);
    } else if (code === CR) {
      canvas.column = 0;
      at++;
    } else if (code < 0x20 && code !== TAB) {
      at++;
    } else {
      let end = at + 1;
      while (end < line.length && !isControl(line.charCodeAt(end))) {
        end++;
      }
      canvas.write(line.slice(at, end));
      at = end;
    }
  }
}

function isControl(code: number): boolean {
  return code < 0x20 && code !== TAB;
}

/**
 * Applies the escape sequence that starts at `at` (an ESC) and returns
 * where the text after it starts; a sequence cut off by the line's end
 * takes the rest of the line.
 */
function playEscape(line: string, at: number, canvas: LineCanvas): number {
  const kind = line.charCodeAt(at + 1);
  if (kind === 0x5b) {
    return playCsi(line, at + 2, canvas);
  }
  return escapeEnd(line, at);
}

/**
 * Where the escape sequence that starts at `at` ends, for any but CSI:
 * none of them draws.
 */
function escapeEnd(line: string, at: number): number {
  const kind = line.charCodeAt(at + 1);
  if (Number.isNaN(kind)) {
    return line.length;
  }
  // OSC, DCS, SOS, PM and APC carry a string up to BEL or ESC \.
  if (
    kind === 0x5d ||
    kind === 0x50 ||
    kind === 0x58 ||
    kind === 0x5e ||
    kind === 0x5f
  ) {
    return stringEnd(line, at + 2);
  }
  // Others: intermediate bytes, then one final byte (ESC ( B, ESC 7…).
  let end = at + 1;
  while (end < line.length && isIntermediate(line.charCodeAt(end))) {
    end++;
  }
  return Math.min(end + 1, line.length);
}

function isIntermediate(code: number): boolean {
  return code >= 0x20 && code <= 0x2f;
}

/** Where an OSC-like string that starts at `from` ends. */
function stringEnd(line: string, from: number): number {
  for (let at = from; at < line.length; at++) {
    const code = line.charCodeAt(at);
    if (code === BEL) {
      return at + 1;
    }
    if (code === ESC) {
      // ESC \ ends the string; another ESC aborts it and starts anew.
      return line.charCodeAt(at + 1) === 0x5c ? at + 2 : at;
    }
  }
  return line.length;
}

/** Applies the CSI sequence whose parameters start at `from`. */
function playCsi(line: string, from: number, canvas: LineCanvas): number {
  const end = csiEnd(line, from);
  const final = line.charCodeAt(end - 1);
  if (end - 1 < from || !(final >= 0x40 && final <= 0x7e)) {
    return end;
  }
  const params = line.slice(from, end - 1);
  const privateMode = /^[<=>?]/.test(params);
  if (final === 0x6d && !privateMode) {
    canvas.style = applySgr(canvas.style, params);
  } else if (final === 0x4b && !privateMode) {
    canvas.erase(Number(params) || 0);
  }
  return end;
}

/**
 * Where the CSI sequence whose parameters start at `from` ends: after its
 * final byte, at a byte that breaks it off, or at the line's end.
 */
function csiEnd(line: string, from: number): number {
  for (let at = from; at < line.length; at++) {
    const code = line.charCodeAt(at);
    if (code >= 0x40 && code <= 0x7e) {
      return at + 1;
    }
    if (code < 0x20 || code > 0x3f) {
      // Not a CSI byte: the sequence is broken off here.
      return at;
    }
  }
  return line.length;
}
