/**
 * The scrolling part of the log viewer: a spacer as tall as the log (or
 * scaled to fit a browser's limit) and, over it, only the rows in and
 * near the viewport, moved to where the scroll position says.
 */
import type { JSX } from 'preact';
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from 'preact/hooks';
import type { LineRange } from './line-hash.js';
import { LogRow } from './log-row.js';
import {
  contentOffset,
  maxContentOffset,
  offsetOfLine,
  type ScrollGeometry,
  scrollTopFor,
  spacerHeight,
  visibleLines,
} from './scroll-geometry.js';

/** Every row's height; the CSS sets the same. */
export const LINE_HEIGHT_PX = 20;

/**
 * Rows rendered beyond each edge of the viewport, and the step by which
 * the rendered range moves: scrolling within a step renders nothing.
 */
const ROW_STEP = 16;

/** A request to scroll line `line` into view; a new `seq` repeats it. */
export interface ScrollTarget {
  line: number;
  seq: number;
}

/** Props of {@link LogPane}. */
export interface LogPaneProps {
  label: string;
  totalLines: number;
  /** The raw line, or `undefined` while it loads. */
  lineAt: (line: number) => string | undefined;
  /** Changes whenever lines arrive, so the rows render again. */
  version: number;
  selection: LineRange | undefined;
  currentLine: number | undefined;
  highlight: RegExp | undefined;
  /** Keep the last line at the bottom as lines arrive. */
  pinnedToEnd: boolean;
  scrollTarget: ScrollTarget | undefined;
  /** The rendered rows changed: fetch what they miss. */
  onRowsShown: (first: number, last: number) => void;
  /** The viewport shows these lines now. */
  onViewport: (first: number, last: number) => void;
  /** The person scrolled away from the end. */
  onScrolledBack: () => void;
  /** The person asked for the end with the End key. */
  onEndKey: () => void;
  onLineClick: (line: number, extend: boolean) => void;
}

/** The virtually scrolled rows of a log. */
export function LogPane(props: LogPaneProps): JSX.Element {
  const scroller = useRef<HTMLElement>(null);
  const layer = useRef<HTMLDivElement>(null);
  const spacer = useRef<HTMLDivElement>(null);
  const latest = useRef(props);
  latest.current = props;
  const [rows, setRows] = useState({ first: 1, last: 0 });
  const [viewportHeight, setViewportHeight] = useState(0);
  const ownScrollTop = useRef<number | undefined>(undefined);
  const lastOffset = useRef(0);
  const appliedTarget = useRef(0);
  const widest = useRef(0);

  const place = useCallback(() => {
    const element = scroller.current;
    const rowLayer = layer.current;
    if (!element || !rowLayer) {
      return;
    }
    const geometry = geometryOf(element, latest.current.totalLines);
    const offset = contentOffset(geometry, element.scrollTop);
    lastOffset.current = offset;
    const visible = visibleLines(geometry, offset);
    const step = Math.floor((visible.first - 1) / ROW_STEP) * ROW_STEP + 1;
    const first = Math.max(1, step - ROW_STEP);
    const rowsInView = Math.ceil(geometry.viewportHeight / LINE_HEIGHT_PX);
    const last = Math.min(
      geometry.totalLines,
      step + rowsInView + 2 * ROW_STEP,
    );
    const top = element.scrollTop + (first - 1) * LINE_HEIGHT_PX - offset;
    rowLayer.style.top = `${top}px`;
    setRows((shown) =>
      shown.first === first && shown.last === last ? shown : { first, last },
    );
    latest.current.onViewport(visible.first, visible.last);
  }, []);

  const scrollToOffset = useCallback(
    (offset: number, own: boolean) => {
      const element = scroller.current;
      if (!element) {
        return;
      }
      const geometry = geometryOf(element, latest.current.totalLines);
      element.scrollTop = scrollTopFor(geometry, offset);
      if (own) {
        ownScrollTop.current = element.scrollTop;
      }
      place();
    },
    [place],
  );

  useEffect(() => {
    const element = scroller.current;
    if (!element) {
      return;
    }
    const observer = new ResizeObserver(() => {
      setViewportHeight(element.clientHeight);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // Lines arrived or the log grew: follow the end, or hold the place
  // (a scaled scroll range maps the same scrollTop to other lines).
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) {
      return;
    }
    const geometry = geometryOf(element, props.totalLines);
    if (props.pinnedToEnd) {
      scrollToOffset(maxContentOffset(geometry), true);
      return;
    }
    const target = props.scrollTarget;
    if (target && target.seq !== appliedTarget.current && props.totalLines) {
      appliedTarget.current = target.seq;
      const rowsInView = Math.floor(geometry.viewportHeight / LINE_HEIGHT_PX);
      const above = Math.floor(rowsInView / 3);
      scrollToOffset(offsetOfLine(geometry, target.line, above), true);
      return;
    }
    const held = scrollTopFor(geometry, lastOffset.current);
    if (Math.abs(held - element.scrollTop) >= 1) {
      scrollToOffset(lastOffset.current, true);
      return;
    }
    place();
  }, [
    props.totalLines,
    props.pinnedToEnd,
    props.scrollTarget,
    viewportHeight,
    place,
    scrollToOffset,
  ]);

  useEffect(() => {
    if (rows.last >= rows.first) {
      props.onRowsShown(rows.first, rows.last);
    }
  }, [rows, props.version, props.onRowsShown]);

  // Keep the horizontal scroll range as wide as the widest row seen, so
  // it does not jump while wide rows come and go.
  useLayoutEffect(() => {
    const rowLayer = layer.current;
    if (rowLayer && spacer.current && rowLayer.scrollWidth > widest.current) {
      widest.current = rowLayer.scrollWidth;
      spacer.current.style.width = `${widest.current}px`;
    }
  });

  const onScroll = useCallback(() => {
    const element = scroller.current;
    if (!element) {
      return;
    }
    const own =
      ownScrollTop.current !== undefined &&
      Math.abs(element.scrollTop - ownScrollTop.current) < 1;
    const atEnd =
      element.scrollTop + element.clientHeight >= element.scrollHeight - 2;
    if (!own && !atEnd && latest.current.pinnedToEnd) {
      latest.current.onScrolledBack();
    }
    place();
  }, [place]);

  const onWheel = useCallback((event: WheelEvent) => {
    if (event.deltaY < 0 && latest.current.pinnedToEnd) {
      latest.current.onScrolledBack();
    }
  }, []);

  const onKeyDown = useCallback(
    (event: KeyboardEvent) => {
      const element = scroller.current;
      if (!element || event.altKey || event.ctrlKey || event.metaKey) {
        return;
      }
      const geometry = geometryOf(element, latest.current.totalLines);
      const page = Math.max(
        LINE_HEIGHT_PX,
        geometry.viewportHeight - LINE_HEIGHT_PX,
      );
      const moves: Record<string, number> = {
        PageDown: page,
        PageUp: -page,
        ArrowDown: LINE_HEIGHT_PX,
        ArrowUp: -LINE_HEIGHT_PX,
        Home: Number.NEGATIVE_INFINITY,
        End: Number.POSITIVE_INFINITY,
      };
      const move = moves[event.key];
      if (move === undefined) {
        return;
      }
      event.preventDefault();
      if (move < 0 && latest.current.pinnedToEnd) {
        latest.current.onScrolledBack();
      }
      if (event.key === 'End') {
        latest.current.onEndKey();
      }
      const offset = Math.min(
        Math.max(lastOffset.current + move, 0),
        maxContentOffset(geometry),
      );
      scrollToOffset(offset, false);
    },
    [scrollToOffset],
  );

  const onClick = useCallback((event: MouseEvent) => {
    const target = event.target as HTMLElement | null;
    const number = target?.closest<HTMLElement>('a.log-number');
    if (!number) {
      return;
    }
    event.preventDefault();
    latest.current.onLineClick(Number(number.dataset.line), event.shiftKey);
  }, []);

  const geometry: ScrollGeometry = {
    lineHeight: LINE_HEIGHT_PX,
    totalLines: props.totalLines,
    viewportHeight,
  };
  const digits = String(Math.max(props.totalLines, 1)).length;
  const { selection, currentLine, highlight } = props;
  const rendered: JSX.Element[] = [];
  for (let line = rows.first; line <= rows.last; line++) {
    rendered.push(
      <LogRow
        key={line}
        line={line}
        text={props.lineAt(line)}
        selected={
          selection !== undefined &&
          line >= selection.start &&
          line <= selection.end
        }
        current={line === currentLine}
        highlight={highlight}
      />,
    );
  }

  return (
    <section
      ref={scroller}
      class="log-scroller"
      aria-label={props.label}
      // A region people scroll with the keyboard must take focus.
      // biome-ignore lint/a11y/noNoninteractiveTabindex: scrollable region
      tabIndex={0}
      style={{ '--log-gutter': `${digits + 2}ch` }}
      onScroll={onScroll}
      onWheel={onWheel}
      onKeyDown={onKeyDown}
      onClick={onClick}
    >
      <div
        ref={spacer}
        class="log-spacer"
        style={{ height: `${spacerHeight(geometry)}px` }}
      />
      <div ref={layer} class="log-rows">
        {rendered}
      </div>
    </section>
  );
}

function geometryOf(element: HTMLElement, totalLines: number): ScrollGeometry {
  return {
    lineHeight: LINE_HEIGHT_PX,
    totalLines,
    viewportHeight: element.clientHeight,
  };
}
