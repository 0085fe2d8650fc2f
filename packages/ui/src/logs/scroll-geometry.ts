/**
 * Where lines sit in a virtually scrolled log. Every line has the same
 * height, so the log's height is `totalLines * lineHeight`; past the
 * tallest element a browser lays out, the scroll range is shorter than
 * the content and each scrolled pixel moves the content a little more.
 */

/**
 * Below every browser's limit (Firefox lays out about 17.9 M px, Chromium
 * 33.5 M): taller content is scaled into this height.
 */
export const MAX_SCROLL_HEIGHT_PX = 15_000_000;

/** What the mapping between scroll position and lines depends on. */
export interface ScrollGeometry {
  lineHeight: number;
  totalLines: number;
  /** The scroll container's inner height. */
  viewportHeight: number;
  /** The tallest scroll height to use; {@link MAX_SCROLL_HEIGHT_PX}. */
  maxScrollHeight?: number;
}

/** The height of the element that gives the container its scroll range. */
export function spacerHeight(geometry: ScrollGeometry): number {
  const limit = geometry.maxScrollHeight ?? MAX_SCROLL_HEIGHT_PX;
  return Math.min(contentHeight(geometry), limit);
}

/** The height of every line stacked: what the spacer stands for. */
export function contentHeight(geometry: ScrollGeometry): number {
  return geometry.totalLines * geometry.lineHeight;
}

/**
 * How far the content is scrolled (in content pixels) when the container
 * is scrolled by `scrollTop`; equal to it unless the content is scaled.
 */
export function contentOffset(
  geometry: ScrollGeometry,
  scrollTop: number,
): number {
  const scrollRange = spacerHeight(geometry) - geometry.viewportHeight;
  const contentRange = contentHeight(geometry) - geometry.viewportHeight;
  if (scrollRange <= 0 || contentRange <= 0) {
    return 0;
  }
  const clamped = Math.min(Math.max(scrollTop, 0), scrollRange);
  if (scrollRange === contentRange) {
    return clamped;
  }
  return (clamped / scrollRange) * contentRange;
}

/** The `scrollTop` that scrolls the content by `offset` content pixels. */
export function scrollTopFor(geometry: ScrollGeometry, offset: number): number {
  const scrollRange = spacerHeight(geometry) - geometry.viewportHeight;
  const contentRange = contentHeight(geometry) - geometry.viewportHeight;
  if (scrollRange <= 0 || contentRange <= 0) {
    return 0;
  }
  const clamped = Math.min(Math.max(offset, 0), contentRange);
  if (scrollRange === contentRange) {
    return clamped;
  }
  return (clamped / contentRange) * scrollRange;
}

/** The largest content offset: the last line at the bottom. */
export function maxContentOffset(geometry: ScrollGeometry): number {
  return Math.max(0, contentHeight(geometry) - geometry.viewportHeight);
}

/** The content offset that shows `line` (1-based) `linesAbove` below the top. */
export function offsetOfLine(
  geometry: ScrollGeometry,
  line: number,
  linesAbove = 0,
): number {
  const offset = (line - 1 - linesAbove) * geometry.lineHeight;
  return Math.min(Math.max(offset, 0), maxContentOffset(geometry));
}

/** The lines a viewport at content `offset` shows, first and last, 1-based. */
export function visibleLines(
  geometry: ScrollGeometry,
  offset: number,
): { first: number; last: number } {
  const { lineHeight, totalLines, viewportHeight } = geometry;
  const first = Math.min(totalLines, Math.floor(offset / lineHeight) + 1);
  const bottom = offset + viewportHeight;
  const last = Math.min(totalLines, Math.ceil(bottom / lineHeight));
  return { first: Math.max(first, totalLines > 0 ? 1 : 0), last };
}
