/**
 * Pan and zoom without re-rendering: the SVG holds a drawn area (the screen
 * and half a screen around it) and sits on a compositor layer, so a move only
 * changes that layer's CSS transform and costs no paint. The area is drawn
 * again (a Preact render) when the screen leaves it, when the level of
 * detail changes, and shortly after a zoom, to sharpen the scaled layer.
 */
import type { GraphNode } from '@river/run-view';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import type { SceneArea } from './job-graph.js';
import type { LayoutIndex } from './layout-index.js';
import {
  centreOn,
  contains,
  fitView,
  initialView,
  isOnScreen,
  MAX_SCALE,
  minScale,
  OUTLINE_SCALE,
  type Size,
  type View,
  visibleArea,
  zoomAt,
} from './view.js';

/** Screens drawn beyond each side of the visible one, so a pan rarely renders. */
const OVERSCAN = 0.5;
/** A press that moves fewer pixels than this is a click, not a drag. */
const DRAG_THRESHOLD_PX = 4;
const KEY_PAN_PX = 64;
const KEY_ZOOM_FACTOR = 1.25;
/** Zoom per pixel of wheel travel (and per line, for line-based wheels). */
const WHEEL_ZOOM_PER_PX = 0.0015;
const WHEEL_ZOOM_PER_LINE = 0.05;
/** Space kept between a node brought into view and the screen's edge. */
const REVEAL_PADDING_PX = 24;
/** How long a zoom must rest before the area is drawn at the new scale. */
const ZOOM_SETTLE_MS = 150;
/** Beyond this stretch of the drawn layer, drawing again cannot wait. */
const MAX_STRETCH = 2;

interface Drag {
  pointerId: number;
  startX: number;
  startY: number;
  view: View;
  moving: boolean;
}

/** Pan and zoom of one graph; one instance lives as long as its component. */
export class PanZoom {
  private view: View | undefined;
  private size: Size = { width: 0, height: 0 };
  private area: SceneArea | null = null;
  private frame = 0;
  private settle: ReturnType<typeof setTimeout> | undefined;
  private drag: Drag | undefined;
  private dragged = false;
  private viewport: HTMLDivElement | null = null;
  private canvas: SVGSVGElement | null = null;

  constructor(
    private index: LayoutIndex,
    private readonly showArea: (area: SceneArea | null) => void,
  ) {}

  /** Ref for the element that receives pointer, wheel and key events. */
  readonly viewportRef = (element: HTMLDivElement | null) => {
    this.viewport = element;
  };

  /** Ref for the SVG element, whose CSS transform follows the view. */
  readonly canvasRef = (element: SVGSVGElement | null) => {
    this.canvas = element;
    this.writeTransform();
  };

  /** The element that receives pointer, wheel and key events. */
  viewportElement(): HTMLDivElement | null {
    return this.viewport;
  }

  /** Starts over with a new layout. */
  showLayout(index: LayoutIndex): void {
    if (index === this.index && this.view) return;
    this.index = index;
    this.view = undefined;
    this.area = null;
    this.showArea(null);
    this.measure();
  }

  /** Reads the viewport's size; the first time, picks the first view. */
  measure(): void {
    const box = this.viewport?.getBoundingClientRect();
    if (!box || box.width === 0 || box.height === 0) return;
    this.size = { width: box.width, height: box.height };
    this.view ??= initialView(this.index.layout, this.size);
    this.apply();
  }

  /**
   * Brings a node on screen, readable: centred (zoomed in if needed), or by
   * the shortest move.
   */
  reveal(node: GraphNode, { centre = true } = {}): void {
    const view = this.view;
    if (!view) return;
    const readable = view.scale >= OUTLINE_SCALE;
    if (isOnScreen(node, view, this.size) && (readable || !centre)) return;
    if (centre) {
      this.setView(centreOn(node, view, this.size));
      return;
    }
    const pad = REVEAL_PADDING_PX;
    const left = node.x * view.scale + view.x;
    const top = node.y * view.scale + view.y;
    const right = left + node.width * view.scale;
    const bottom = top + node.height * view.scale;
    const shiftX =
      left < pad ? pad - left : Math.min(0, this.size.width - pad - right) || 0;
    const shiftY =
      top < pad ? pad - top : Math.min(0, this.size.height - pad - bottom) || 0;
    this.setView({ ...view, x: view.x + shiftX, y: view.y + shiftY });
  }

  /** Zooms around the middle of the screen. */
  zoomBy(factor: number): void {
    const { width, height } = this.size;
    this.zoomAround(factor, { x: width / 2, y: height / 2 });
  }

  /** Shows the whole graph. */
  fit(): void {
    if (this.size.width) this.setView(fitView(this.index.layout, this.size));
  }

  /** Arrow keys pan, plus and minus zoom, 0 fits; others are left alone. */
  onKeyDown(event: KeyboardEvent): void {
    if (event.ctrlKey || event.metaKey || event.altKey || !this.view) return;
    const step = event.shiftKey ? KEY_PAN_PX * 4 : KEY_PAN_PX;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [step, 0],
      ArrowRight: [-step, 0],
      ArrowUp: [0, step],
      ArrowDown: [0, -step],
    };
    const move = moves[event.key];
    if (move) {
      const [dx, dy] = move;
      this.setView({ ...this.view, x: this.view.x + dx, y: this.view.y + dy });
    } else if (event.key === '+' || event.key === '=') {
      this.zoomBy(KEY_ZOOM_FACTOR);
    } else if (event.key === '-' || event.key === '_') {
      this.zoomBy(1 / KEY_ZOOM_FACTOR);
    } else if (event.key === '0') {
      this.fit();
    } else {
      return;
    }
    event.preventDefault();
  }

  readonly onPointerDown = (event: PointerEvent) => {
    if (event.button !== 0 || !this.view) return;
    this.drag = {
      pointerId: event.pointerId,
      startX: event.clientX,
      startY: event.clientY,
      view: this.view,
      moving: false,
    };
    this.dragged = false;
    window.addEventListener('pointermove', this.onPointerMove);
    window.addEventListener('pointerup', this.onPointerUp);
    window.addEventListener('pointercancel', this.onPointerUp);
  };

  /** Whether the last press was a drag; its click must not select. */
  wasDragged(): boolean {
    const dragged = this.dragged;
    this.dragged = false;
    return dragged;
  }

  readonly onWheel = (event: WheelEvent) => {
    event.preventDefault();
    const box = this.viewport?.getBoundingClientRect();
    if (!box) return;
    const perUnit =
      event.deltaMode === WheelEvent.DOM_DELTA_LINE
        ? WHEEL_ZOOM_PER_LINE
        : WHEEL_ZOOM_PER_PX;
    this.zoomAround(Math.exp(-event.deltaY * perUnit), {
      x: event.clientX - box.left,
      y: event.clientY - box.top,
    });
  };

  /** Stops listening and drops a pending frame. */
  close(): void {
    cancelAnimationFrame(this.frame);
    clearTimeout(this.settle);
    this.stopDrag();
  }

  private readonly onPointerMove = (event: PointerEvent) => {
    const drag = this.drag;
    if (!drag || event.pointerId !== drag.pointerId) return;
    const dx = event.clientX - drag.startX;
    const dy = event.clientY - drag.startY;
    if (!drag.moving && Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
    drag.moving = true;
    this.viewport?.classList.add('is-dragging');
    this.setView({ ...drag.view, x: drag.view.x + dx, y: drag.view.y + dy });
  };

  private readonly onPointerUp = (event: PointerEvent) => {
    if (event.pointerId !== this.drag?.pointerId) return;
    this.dragged = this.drag.moving;
    this.stopDrag();
  };

  private stopDrag(): void {
    this.drag = undefined;
    this.viewport?.classList.remove('is-dragging');
    window.removeEventListener('pointermove', this.onPointerMove);
    window.removeEventListener('pointerup', this.onPointerUp);
    window.removeEventListener('pointercancel', this.onPointerUp);
  }

  private zoomAround(factor: number, point: { x: number; y: number }): void {
    if (!this.view) return;
    const limits = {
      min: minScale(this.index.layout, this.size),
      max: MAX_SCALE,
    };
    this.setView(zoomAt(this.view, factor, point, limits));
  }

  private setView(view: View): void {
    this.view = view;
    // Many pointer or wheel events can arrive in one frame; draw once.
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      this.apply();
    });
  }

  private apply(): void {
    const view = this.view;
    if (!view) return;

    const outline = view.scale < OUTLINE_SCALE;
    const current = this.area;
    const stretch = current ? view.scale / current.scale : 1;
    const stale =
      !current ||
      current.outline !== outline ||
      stretch > MAX_STRETCH ||
      stretch < 1 / MAX_STRETCH ||
      !contains(current.area, visibleArea(view, this.size));
    if (stale) this.redraw();
    else if (stretch !== 1) this.redrawWhenZoomRests();
    this.writeTransform();
  }

  private redraw(): void {
    const view = this.view;
    if (!view) return;
    clearTimeout(this.settle);
    const area = visibleArea(view, this.size, OVERSCAN);
    const outline = view.scale < OUTLINE_SCALE;
    this.area = { area, outline, scale: view.scale };
    this.showArea(this.area);
  }

  private redrawWhenZoomRests(): void {
    clearTimeout(this.settle);
    this.settle = setTimeout(() => {
      this.redraw();
      this.writeTransform();
    }, ZOOM_SETTLE_MS);
  }

  /** Places the drawn area: its corner on screen, stretched to the zoom. */
  private writeTransform(): void {
    const view = this.view;
    const drawn = this.area;
    if (!view || !drawn || !this.canvas) return;
    const x = Math.round(view.x + drawn.area.left * view.scale);
    const y = Math.round(view.y + drawn.area.top * view.scale);
    const stretch = view.scale / drawn.scale;
    this.canvas.style.transform = `translate(${x}px, ${y}px) scale(${stretch})`;
  }
}

/**
 * The pan and zoom of a graph component, and the area it must draw (null
 * until the viewport has a size).
 */
export function usePanZoom(index: LayoutIndex): [PanZoom, SceneArea | null] {
  const [area, setArea] = useState<SceneArea | null>(null);
  const [panZoom] = useState(() => new PanZoom(index, setArea));

  useLayoutEffect(() => panZoom.showLayout(index), [panZoom, index]);

  useEffect(() => {
    const observer = new ResizeObserver(() => panZoom.measure());
    const viewport = panZoom.viewportElement();
    if (viewport) {
      observer.observe(viewport);
      viewport.addEventListener('wheel', panZoom.onWheel, { passive: false });
    }
    return () => {
      observer.disconnect();
      viewport?.removeEventListener('wheel', panZoom.onWheel);
      panZoom.close();
    };
  }, [panZoom]);

  return [panZoom, area];
}
