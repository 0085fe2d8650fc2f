/**
 * One line of the log: its number in the gutter (a link to the line) and
 * its text in terminal colours, with the search's matches marked.
 */

import { type StyledSpan, styledSpans } from '@river/run-view';
import { Component, type JSX } from 'preact';

/** Props of {@link LogRow}. */
export interface LogRowProps {
  line: number;
  /** The raw line; `undefined` while its block loads. */
  text: string | undefined;
  selected: boolean;
  /** The line the search's next/previous stands on. */
  current: boolean;
  /** Matches to mark; a global regular expression. */
  highlight: RegExp | undefined;
}

/** A log line; renders again only when one of its props changes. */
export class LogRow extends Component<LogRowProps> {
  override shouldComponentUpdate(next: LogRowProps): boolean {
    const props = this.props;
    return (
      next.line !== props.line ||
      next.text !== props.text ||
      next.selected !== props.selected ||
      next.current !== props.current ||
      next.highlight !== props.highlight
    );
  }

  override render(): JSX.Element {
    const { line, text, selected, current, highlight } = this.props;
    const classes = ['log-row'];
    if (selected) classes.push('log-row-selected');
    if (current) classes.push('log-row-current');
    if (text === undefined) classes.push('log-row-loading');
    return (
      <div class={classes.join(' ')} data-line={line}>
        <a class="log-number" href={`#L${line}`} data-line={line}>
          {line}
        </a>
        {text === undefined ? (
          <span class="log-placeholder" />
        ) : (
          <span class="log-line-text">{renderSpans(text, highlight)}</span>
        )}
      </div>
    );
  }
}

function renderSpans(
  text: string,
  highlight: RegExp | undefined,
): JSX.Element[] {
  const spans = styledSpans(text);
  const matches = highlight ? matchRanges(spans, highlight) : [];
  const out: JSX.Element[] = [];
  let position = 0;
  let matchIndex = 0;
  for (const span of spans) {
    let offset = 0;
    while (offset < span.text.length) {
      const at = position + offset;
      while (matchIndex < matches.length && matchEnd(matches, matchIndex) <= at)
        matchIndex++;
      const match = matches[matchIndex];
      const inside = match !== undefined && match[0] <= at;
      const limit = inside
        ? match[1]
        : (match?.[0] ?? Number.POSITIVE_INFINITY);
      const take = Math.min(span.text.length - offset, limit - at);
      const piece = span.text.slice(offset, offset + take);
      out.push(
        inside ? (
          <mark class="log-match" style={decoration(span)}>
            {piece}
          </mark>
        ) : (
          <span style={spanStyle(span)}>{piece}</span>
        ),
      );
      offset += take;
    }
    position += span.text.length;
  }
  return out;
}

function matchEnd(matches: [number, number][], index: number): number {
  return matches[index]?.[1] ?? 0;
}

/** Where `pattern` matches the spans' text, as [start, end) pairs. */
function matchRanges(spans: StyledSpan[], pattern: RegExp): [number, number][] {
  const visible = spans.map((span) => span.text).join('');
  const ranges: [number, number][] = [];
  for (const match of visible.matchAll(pattern)) {
    if (match[0].length > 0) {
      ranges.push([match.index, match.index + match[0].length]);
    }
  }
  return ranges;
}

function spanStyle(span: StyledSpan): JSX.CSSProperties {
  const style = decoration(span);
  const fg = span.inverse ? (span.bg ?? 'var(--log-bg)') : span.fg;
  const bg = span.inverse ? (span.fg ?? 'var(--log-fg)') : span.bg;
  if (fg) style.color = fg;
  if (bg) style.backgroundColor = bg;
  if (span.dim) style.opacity = 0.75;
  return style;
}

/** What a style keeps inside a marked match: all but the colours. */
function decoration(span: StyledSpan): JSX.CSSProperties {
  const style: JSX.CSSProperties = {};
  if (span.bold) style.fontWeight = 'bold';
  if (span.italic) style.fontStyle = 'italic';
  const lines = [
    span.underline ? 'underline' : '',
    span.strike ? 'line-through' : '',
  ].filter(Boolean);
  if (lines.length > 0) style.textDecoration = lines.join(' ');
  return style;
}
