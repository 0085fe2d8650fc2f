/**
 * Stand-in for `@river/run-view`'s terminal-text module until it lands:
 * the same signatures, basic SGR colours only.
 * TODO: re-export styledSpans and visibleText from @river/run-view.
 */

/** A run of visible text in one style. */
export interface StyledSpan {
  text: string;
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
  strike?: boolean;
}

const COLOURS = [
  '#7f848e',
  '#e06c75',
  '#98c379',
  '#e5c07b',
  '#61afef',
  '#c678dd',
  '#56b6c2',
  '#d7dae0',
];

const SEQUENCE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences
  /\x1b\[([0-9;]*)([A-Za-z])|\x1b\][^\x07]*\x07|[\x00-\x08\x0b-\x1f]/g;

/** The text a terminal shows for `line`. */
export function visibleText(line: string): string {
  return styledSpans(line)
    .map((span) => span.text)
    .join('');
}

/** The visible text of `line` in runs of one style. */
export function styledSpans(line: string): StyledSpan[] {
  const collapsed = collapseReturns(line);
  const spans: StyledSpan[] = [];
  let style: Omit<StyledSpan, 'text'> = {};
  let last = 0;
  for (const match of collapsed.matchAll(SEQUENCE)) {
    if (match.index > last) {
      spans.push({ ...style, text: collapsed.slice(last, match.index) });
    }
    last = match.index + match[0].length;
    if (match[2] === 'm') {
      style = applySgr(style, match[1] ?? '');
    }
  }
  if (last < collapsed.length) {
    spans.push({ ...style, text: collapsed.slice(last) });
  }
  return spans;
}

function collapseReturns(line: string): string {
  const parts = line.replace(/\r+$/, '').split('\r');
  let shown = '';
  for (const part of parts) {
    shown = part + shown.slice(part.length);
  }
  return shown;
}

function applySgr(
  style: Omit<StyledSpan, 'text'>,
  codes: string,
): Omit<StyledSpan, 'text'> {
  let next = { ...style };
  for (const code of (codes || '0').split(';').map(Number)) {
    if (code === 0) next = {};
    else if (code === 1) next.bold = true;
    else if (code === 2) next.dim = true;
    else if (code === 3) next.italic = true;
    else if (code === 4) next.underline = true;
    else if (code === 7) next.inverse = true;
    else if (code === 9) next.strike = true;
    else if (code >= 30 && code <= 37) next.fg = COLOURS[code - 30] ?? '';
    else if (code >= 40 && code <= 47) next.bg = COLOURS[code - 40] ?? '';
    else if (code === 39) delete next.fg;
    else if (code === 49) delete next.bg;
  }
  return next;
}
