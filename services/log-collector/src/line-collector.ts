import { countNewlines } from './line-marks.js';

/**
 * Line text in one reply: like a page's chunk data, well under the
 * server's 1 MB `max_payload`.
 */
export const MAX_LINES_TEXT_BYTES = 512 * 1024;

const NEWLINE = 0x0a;

/** Which lines a collector keeps. */
export interface LineWindow {
  /** The first line wanted, from 1. */
  first: number;
  /** How many lines: from `first` on, or the last ones (`tail`). */
  count: number;
  /** Keep the last `count` lines read, not the first. */
  tail: boolean;
  /** Newlines in the output before the first byte pushed. */
  linesBefore: number;
  /** Most bytes of UTF-8 text kept; {@link MAX_LINES_TEXT_BYTES}. */
  maxTextBytes?: number;
}

/** The lines a collector kept and what it learnt of the output. */
export interface CollectedLines {
  lines: string[];
  /** The number of `lines[0]`, or the first line wanted if none. */
  firstLine: number;
  /** Lines of the output read so far, a last one without "\n" too. */
  linesSeen: number;
}

/**
 * Cuts output pushed chunk by chunk into lines at "\n" and keeps a window
 * of them, decoded as UTF-8: from a line on (stopping when it has them,
 * or at the text budget), or the last ones (dropping the oldest). Lines
 * before the window are counted, never decoded.
 */
export class LineCollector {
  readonly #window: LineWindow;
  readonly #maxTextBytes: number;
  readonly #lines: string[] = [];
  #head = 0;
  #textBytes = 0;
  /** The number of the line that the next byte pushed belongs to. */
  #line: number;
  #parts: Buffer[] = [];
  #partBytes = 0;
  #open = false;
  #full = false;
  /** The number of the last line kept. */
  #lastKept = 0;

  constructor(window: LineWindow) {
    this.#window = window;
    this.#maxTextBytes = window.maxTextBytes ?? MAX_LINES_TEXT_BYTES;
    this.#line = window.linesBefore + 1;
  }

  /** Whether the window is filled; later data is only counted. */
  get full(): boolean {
    return this.#full;
  }

  /** Takes the next piece of output. */
  push(data: Uint8Array): void {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.length === 0) {
      return;
    }
    this.#open = bytes[bytes.length - 1] !== NEWLINE;
    let at = 0;
    while (at < bytes.length) {
      if (this.#full) {
        this.#line += countNewlines(bytes.subarray(at));
        return;
      }
      const newline = bytes.indexOf(NEWLINE, at);
      if (this.#line >= this.#window.first) {
        this.#append(
          bytes.subarray(at, newline === -1 ? bytes.length : newline),
        );
      }
      if (newline === -1) {
        return;
      }
      if (this.#line >= this.#window.first) {
        this.#keep(this.#takeLine());
      }
      this.#line++;
      at = newline + 1;
    }
  }

  /** The lines kept, once the output's end (or enough) was read. */
  finish(): CollectedLines {
    // A last line without "\n" is a line too.
    if (this.#open && !this.#full && this.#line >= this.#window.first) {
      this.#keep(this.#takeLine());
    }
    const lines = this.#lines.slice(this.#head);
    const lastLine = this.#open ? this.#line : this.#line - 1;
    const firstLine = this.#window.tail
      ? Math.max(1, this.#lastKept - lines.length + 1)
      : this.#window.first;
    return { lines, firstLine, linesSeen: lastLine };
  }

  #append(part: Buffer): void {
    // A line longer than the whole budget is cut: it could not be sent.
    const room = this.#maxTextBytes - this.#partBytes;
    if (room <= 0 || part.length === 0) {
      return;
    }
    const kept = part.length > room ? part.subarray(0, room) : part;
    this.#parts.push(kept);
    this.#partBytes += kept.length;
  }

  #takeLine(): string {
    const bytes =
      this.#parts.length === 1
        ? (this.#parts[0] ?? Buffer.alloc(0))
        : Buffer.concat(this.#parts);
    this.#parts = [];
    this.#partBytes = 0;
    return cutToBytes(bytes.toString('utf8'), this.#maxTextBytes);
  }

  #keep(line: string): void {
    const size = Buffer.byteLength(line, 'utf8');
    const kept = this.#lines.length - this.#head;
    if (this.#window.tail) {
      this.#lines.push(line);
      this.#textBytes += size;
      this.#lastKept = this.#line;
      while (
        this.#lines.length - this.#head > this.#window.count ||
        (this.#textBytes > this.#maxTextBytes &&
          this.#lines.length - this.#head > 1)
      ) {
        this.#textBytes -= Buffer.byteLength(
          this.#lines[this.#head++] ?? '',
          'utf8',
        );
      }
      if (this.#head > 4 * this.#window.count) {
        this.#lines.splice(0, this.#head);
        this.#head = 0;
      }
      return;
    }
    if (kept > 0 && this.#textBytes + size > this.#maxTextBytes) {
      this.#full = true;
      return;
    }
    this.#lines.push(line);
    this.#textBytes += size;
    this.#full = kept + 1 >= this.#window.count;
  }
}

/** `text` cut to at most `maxBytes` bytes of UTF-8. */
function cutToBytes(text: string, maxBytes: number): string {
  let cut = text;
  let size = Buffer.byteLength(cut, 'utf8');
  while (size > maxBytes) {
    cut = cut.slice(0, Math.floor((cut.length * maxBytes) / size) - 1);
    size = Buffer.byteLength(cut, 'utf8');
  }
  return cut;
}
