import { visibleText } from '@river/run-view';
import { countNewlines } from './line-marks.js';

/** Line numbers a search reply lists when the query names no maximum. */
export const DEFAULT_MAX_HITS = 1_000;

/**
 * The longest line searched whole; a longer one is searched in its first
 * this many bytes, so that a log without newlines cannot fill memory.
 */
export const MAX_SEARCHED_LINE_BYTES = 4 * 1024 * 1024;

const NEWLINE = 0x0a;

/** C0 controls but tab and newline: a text without any shows as it is. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f]/;

/** What a search found. */
export interface SearchCount {
  /** Occurrences, counted without overlaps. */
  hits: number;
  /** Lines holding at least one occurrence. */
  matchingLines: number;
  /** The first of those lines' numbers, ascending. */
  hitLines: number[];
  /** Lines of the output, a last one without "\n" too. */
  totalLines: number;
}

/** How to search. */
export interface SearchOptions {
  caseSensitive: boolean;
  /** Line numbers listed at most. */
  maxHits: number;
}

/**
 * Counts the occurrences of a text in output pushed chunk by chunk, line
 * by line, in the text a terminal shows (escape sequences removed,
 * carriage returns applied): an occurrence never spans lines. It holds
 * one line at a time, however long the output.
 */
export class LineSearch {
  readonly #needle: string;
  readonly #options: SearchOptions;
  readonly #count: SearchCount = {
    hits: 0,
    matchingLines: 0,
    hitLines: [],
    totalLines: 0,
  };
  /** Newlines read so far. */
  #newlines = 0;
  /** The start of the line in progress. */
  #carry: Buffer[] = [];
  #carryBytes = 0;

  constructor(needle: string, options: SearchOptions) {
    this.#options = options;
    this.#needle = options.caseSensitive ? needle : needle.toLowerCase();
  }

  /** Takes the next piece of output. */
  push(data: Uint8Array): void {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const lastNewline = bytes.lastIndexOf(NEWLINE);
    if (lastNewline === -1) {
      this.#carryOn(bytes);
      return;
    }
    // Lines end at byte 0x0a, which no UTF-8 character holds inside: a
    // block of whole lines decodes as its lines one by one would.
    const head = bytes.subarray(0, lastNewline + 1);
    const block =
      this.#carry.length === 0 ? head : Buffer.concat([...this.#carry, head]);
    this.#carry = [];
    this.#carryBytes = 0;
    this.#searchBlock(block);
    this.#carryOn(bytes.subarray(lastNewline + 1));
  }

  /** The count, once the whole output was pushed. */
  finish(): SearchCount {
    if (this.#carryBytes > 0) {
      const line = Buffer.concat(this.#carry).toString('utf8');
      this.#carry = [];
      this.#carryBytes = 0;
      this.#searchLine(line, this.#newlines + 1);
      this.#count.totalLines = this.#newlines + 1;
    } else {
      this.#count.totalLines = this.#newlines;
    }
    return this.#count;
  }

  #carryOn(bytes: Buffer): void {
    const room = MAX_SEARCHED_LINE_BYTES - this.#carryBytes;
    if (bytes.length === 0 || room <= 0) {
      return;
    }
    const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
    this.#carry.push(kept);
    this.#carryBytes += kept.length;
  }

  /** Searches whole lines, each ending in "\n". */
  #searchBlock(block: Buffer): void {
    const newlines = countNewlines(block);
    const firstLine = this.#newlines + 1;
    this.#newlines += newlines;
    if (this.#needle.includes('\n')) {
      return;
    }
    const raw = block.toString('utf8');
    // The block as it shows, line for line: one search over it finds
    // every line's occurrences, and none spans lines.
    const text = CONTROLS.test(raw)
      ? raw.split('\n').map(visibleText).join('\n')
      : raw;
    const haystack = this.#options.caseSensitive ? text : text.toLowerCase();
    let found = haystack.indexOf(this.#needle);
    let line = firstLine;
    let lineEnd = haystack.indexOf('\n');
    let lastLine = 0;
    while (found !== -1) {
      while (lineEnd < found) {
        line++;
        lineEnd = haystack.indexOf('\n', lineEnd + 1);
      }
      this.#record(line, 1, line !== lastLine);
      lastLine = line;
      found = haystack.indexOf(this.#needle, found + this.#needle.length);
    }
  }

  #searchLine(raw: string, line: number): void {
    const visible = visibleText(raw);
    const haystack = this.#options.caseSensitive
      ? visible
      : visible.toLowerCase();
    let hits = 0;
    for (
      let found = haystack.indexOf(this.#needle);
      found !== -1;
      found = haystack.indexOf(this.#needle, found + this.#needle.length)
    ) {
      hits++;
    }
    if (hits > 0) {
      this.#record(line, hits, true);
    }
  }

  #record(line: number, hits: number, newLine: boolean): void {
    const count = this.#count;
    count.hits += hits;
    if (!newLine) {
      return;
    }
    count.matchingLines++;
    if (count.hitLines.length < this.#options.maxHits) {
      count.hitLines.push(line);
    }
  }
}
