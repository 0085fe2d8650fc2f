/**
 * The URL hash that selects log lines: `#L820` for one line,
 * `#L820-L830` for a range, as code hosts write them.
 */

/** Lines selected by the hash, `start <= end`, both 1-based. */
export interface LineRange {
  start: number;
  end: number;
}

const LINE_HASH = /^#?L(\d+)(?:-L?(\d+))?$/;

/** The range a hash names, or `undefined` when it names none. */
export function parseLineHash(hash: string): LineRange | undefined {
  const match = LINE_HASH.exec(hash);
  if (!match) {
    return undefined;
  }
  const first = Number(match[1]);
  const second = match[2] === undefined ? first : Number(match[2]);
  if (first < 1 || second < 1) {
    return undefined;
  }
  return { start: Math.min(first, second), end: Math.max(first, second) };
}

/** The hash for `range`: `#L5` when it holds one line, else `#L5-L9`. */
export function formatLineHash(range: LineRange): string {
  if (range.start === range.end) {
    return `#L${range.start}`;
  }
  return `#L${range.start}-L${range.end}`;
}

/**
 * The selection after a click on line `line`: that line alone, or with
 * shift held, the range from the current selection's start to it.
 */
export function extendSelection(
  current: LineRange | undefined,
  line: number,
  extend: boolean,
): LineRange {
  if (!extend || current === undefined) {
    return { start: line, end: line };
  }
  return {
    start: Math.min(current.start, line),
    end: Math.max(current.start, line),
  };
}
