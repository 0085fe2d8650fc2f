/**
 * A scrolling list that puts only the rows in view (and a few around
 * them) in the DOM, so tens of thousands of rows stay fast. Row heights
 * are known up front (fixed, or computed per row), which keeps scrolling
 * free of measuring.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import './virtual-list.css';

/** Rows drawn beyond the visible ones on each side, for smooth scrolling. */
const OVERSCAN_ROWS = 8;

/** Props of {@link VirtualList}. */
export interface VirtualListProps {
  rowCount: number;
  /** A fixed height in px, or each row's height. */
  rowHeight: number | ((index: number) => number);
  /** Draws row `index`; the list positions it. */
  renderRow: (index: number) => ComponentChildren;
  /** Changes whenever rows change their content or heights. */
  version?: unknown;
  /** Height of the scrolling viewport (any CSS length). */
  height: string;
  /** Accessible name of the list. */
  label: string;
  class?: string;
  /** Scrolls to keep the end in view when rows are added there. */
  followEnd?: boolean;
  /** Called when the last rows come into view, to load more. */
  onNearEnd?: () => void;
}

function offsetsOf(
  rowCount: number,
  rowHeight: number | ((index: number) => number),
): Float64Array {
  const offsets = new Float64Array(rowCount + 1);
  for (let index = 0; index < rowCount; index++) {
    const height = typeof rowHeight === 'number' ? rowHeight : rowHeight(index);
    offsets[index + 1] = (offsets[index] ?? 0) + height;
  }
  return offsets;
}

/** The last row whose top is at or above `y`. */
function rowAt(offsets: Float64Array, y: number): number {
  let low = 0;
  let high = offsets.length - 2;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if ((offsets[middle] ?? 0) <= y) low = middle;
    else high = middle - 1;
  }
  return Math.max(0, low);
}

/** A virtualised list; see the module's comment. */
export function VirtualList(props: VirtualListProps) {
  const { rowCount, rowHeight, renderRow, version, followEnd } = props;
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(600);
  const pinnedToEnd = useRef(false);

  const offsets = useMemo(
    () => offsetsOf(rowCount, rowHeight),
    [rowCount, version, typeof rowHeight === 'number' ? rowHeight : 0],
  );
  const totalHeight = offsets[rowCount] ?? 0;

  useLayoutEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const observer = new ResizeObserver(() =>
      setViewHeight(element.clientHeight),
    );
    observer.observe(element);
    setViewHeight(element.clientHeight);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    const element = viewport.current;
    if (!element || !followEnd || !pinnedToEnd.current) return;
    element.scrollTop = element.scrollHeight;
  }, [totalHeight, followEnd]);

  const first = rowCount === 0 ? 0 : rowAt(offsets, scrollTop);
  const last = rowCount === 0 ? -1 : rowAt(offsets, scrollTop + viewHeight);
  const start = Math.max(0, first - OVERSCAN_ROWS);
  const end = Math.min(rowCount - 1, last + OVERSCAN_ROWS);

  const onScroll = (event: JSX.TargetedUIEvent<HTMLDivElement>) => {
    const element = event.currentTarget;
    setScrollTop(element.scrollTop);
    pinnedToEnd.current =
      element.scrollTop + element.clientHeight >= element.scrollHeight - 4;
    if (
      props.onNearEnd &&
      element.scrollTop + element.clientHeight >= element.scrollHeight - 200
    ) {
      props.onNearEnd();
    }
  };

  const rows: ComponentChildren[] = [];
  for (let index = start; index <= end; index++) {
    rows.push(
      <li
        key={index}
        class="virtual-row"
        style={{
          top: `${offsets[index] ?? 0}px`,
          height: `${(offsets[index + 1] ?? 0) - (offsets[index] ?? 0)}px`,
        }}
      >
        {renderRow(index)}
      </li>,
    );
  }

  return (
    <div
      ref={viewport}
      class={`virtual-list ${props.class ?? ''}`}
      style={{ height: props.height }}
      onScroll={onScroll}
      // A scroll region scrolls by keyboard too.
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scroll region
      tabIndex={0}
    >
      <ul
        class="virtual-space"
        aria-label={props.label}
        style={{ height: `${totalHeight}px` }}
      >
        {rows}
      </ul>
    </div>
  );
}
