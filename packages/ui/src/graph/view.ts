/**
 * The pan and zoom of the graph: a screen point is a layout point times
 * `scale`, shifted by `x` and `y`.
 */
import type { GraphLayout, GraphNode } from '@river/run-view';
import type { Rect } from './layout-index.js';

/** Where the layout sits on screen. */
export interface View {
  x: number;
  y: number;
  scale: number;
}

/** Size of the drawing area in CSS pixels. */
export interface Size {
  width: number;
  height: number;
}

/** The closest zoom allowed; a node is then twice its layout size. */
export const MAX_SCALE = 2;
/** Below this scale names are unreadable, so nodes are drawn as bare boxes. */
export const OUTLINE_SCALE = 0.35;
/** The scale a jump to a node uses when the view is zoomed out further. */
const READABLE_SCALE = 0.8;
const FIT_PADDING = 16;

/** The farthest zoom allowed: the whole graph, or a quarter if that is less. */
export function minScale(layout: GraphLayout, size: Size): number {
  return Math.min(fitView(layout, size).scale, 0.25);
}

/** The view that shows the whole layout, centred, at most at scale 1. */
export function fitView(layout: GraphLayout, size: Size): View {
  const scale = Math.min(
    1,
    (size.width - 2 * FIT_PADDING) / Math.max(1, layout.width),
    (size.height - 2 * FIT_PADDING) / Math.max(1, layout.height),
  );
  return {
    scale,
    x: (size.width - layout.width * scale) / 2,
    y: (size.height - layout.height * scale) / 2,
  };
}

/**
 * The first view of a graph: the whole graph when it stays readable, else
 * its start (the first column) at a readable scale.
 */
export function initialView(layout: GraphLayout, size: Size): View {
  const fit = fitView(layout, size);
  if (fit.scale >= OUTLINE_SCALE * 1.5) return fit;
  const firstColumn = layout.nodes.filter((node) => node.layer === 0);
  const top = Math.min(...firstColumn.map((node) => node.y));
  const bottom = Math.max(...firstColumn.map((node) => node.y + node.height));
  return {
    scale: READABLE_SCALE,
    x: FIT_PADDING,
    y: size.height / 2 - ((top + bottom) / 2) * READABLE_SCALE,
  };
}

/** The view zoomed by `factor` around a screen point, within the limits. */
export function zoomAt(
  view: View,
  factor: number,
  point: { x: number; y: number },
  limits: { min: number; max: number },
): View {
  const scale = Math.min(limits.max, Math.max(limits.min, view.scale * factor));
  const ratio = scale / view.scale;
  return {
    scale,
    x: point.x - (point.x - view.x) * ratio,
    y: point.y - (point.y - view.y) * ratio,
  };
}

/** The view centred on a node, zoomed in to a readable scale if needed. */
export function centreOn(node: GraphNode, view: View, size: Size): View {
  const scale = Math.max(view.scale, READABLE_SCALE);
  return {
    scale,
    x: size.width / 2 - (node.x + node.width / 2) * scale,
    y: size.height / 2 - (node.y + node.height / 2) * scale,
  };
}

/** The part of the layout on screen, grown by `margin` screens each side. */
export function visibleArea(view: View, size: Size, margin = 0): Rect {
  const width = size.width / view.scale;
  const height = size.height / view.scale;
  const left = -view.x / view.scale;
  const top = -view.y / view.scale;
  return {
    left: left - width * margin,
    top: top - height * margin,
    right: left + width * (1 + margin),
    bottom: top + height * (1 + margin),
  };
}

/** Whether `inner` lies wholly inside `outer`. */
export function contains(outer: Rect, inner: Rect): boolean {
  return (
    inner.left >= outer.left &&
    inner.top >= outer.top &&
    inner.right <= outer.right &&
    inner.bottom <= outer.bottom
  );
}

/** Whether a node lies wholly on screen. */
export function isOnScreen(node: GraphNode, view: View, size: Size): boolean {
  return contains(visibleArea(view, size), {
    left: node.x,
    top: node.y,
    right: node.x + node.width,
    bottom: node.y + node.height,
  });
}
