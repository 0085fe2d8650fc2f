/**
 * The job graph of a project laid out for drawing: jobs in layers from left
 * to right (a job sits one layer after the latest job it needs), large
 * fan-outs folded into group nodes, edges as polylines. Pure computation, so
 * the gateway can compute it once per graph shape and the browser only draws.
 */
import { collapseFanOuts } from './graph-collapse.js';
import { placeLayers } from './graph-coordinates.js';
import { readJobGraph } from './graph-input.js';
import { orderLayers } from './graph-order.js';

/** A job as the layout reads it: its name and the names of the jobs it needs. */
export interface GraphJobInput {
  readonly name: string;
  readonly needs: readonly string[];
}

/** A point of the layout, in layout units (CSS pixels at zoom 1). */
export interface GraphPoint {
  x: number;
  y: number;
}

/** What a node stands for: one job, or a group of jobs folded together. */
export type GraphNodeKind = 'job' | 'group';

/** A box of the layout; `x` and `y` are its top-left corner. */
export interface GraphNode {
  /** The job's name, or a `group:` id that no job has. */
  id: string;
  kind: GraphNodeKind;
  /** The job's name, or a label such as `build-* (480 jobs)`. */
  label: string;
  /** The job itself, or the group's members in their input order. */
  jobs: string[];
  /** The column, counted from 0 at the jobs that need nothing. */
  layer: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A dependency drawn from the needed node (`from`) to the node needing it. */
export interface GraphEdge {
  from: string;
  to: string;
  /**
   * A polyline from the right side of `from` to the left side of `to`, as
   * `x0, y0, x1, y1, …`: flat numbers keep a big graph's layout a fraction
   * of the size of one object per point, for the page to read.
   */
  points: number[];
}

/**
 * A laid-out job graph. `nodes` are sorted by layer, then from top to bottom,
 * so a viewer can find what a viewport holds by binary search.
 */
export interface GraphLayout {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

/** Sizes and limits of a layout; every field has a default. */
export interface GraphLayoutOptions {
  /**
   * Jobs that need exactly the same jobs and are needed by exactly the same
   * jobs are folded into one group node when there are more than this many.
   */
  groupThreshold?: number;
  nodeWidth?: number;
  nodeHeight?: number;
  groupHeight?: number;
  /** Horizontal space between two layers. */
  layerGap?: number;
  /** Vertical space between two nodes of a layer. */
  nodeGap?: number;
  /** Space around the whole drawing. */
  margin?: number;
  /** Rounds of barycenter ordering (each one down and up). */
  orderingRounds?: number;
}

/** Fan-outs larger than this become one group node unless told otherwise. */
export const DEFAULT_GROUP_THRESHOLD = 12;

const DEFAULTS: Required<GraphLayoutOptions> = {
  groupThreshold: DEFAULT_GROUP_THRESHOLD,
  nodeWidth: 200,
  nodeHeight: 44,
  groupHeight: 56,
  layerGap: 72,
  nodeGap: 16,
  margin: 24,
  orderingRounds: 4,
};

/**
 * Lays out a project's job graph in layers (Sugiyama style): layers by
 * longest path, order within layers by barycenter sweeps, then coordinates
 * that keep edges short and straight.
 *
 * Names in `needs` that are not jobs of the list are ignored, as are repeated
 * job names after the first. A cycle does not hang it: the edges that close
 * one are left out of the layout.
 *
 * @example
 * ```ts
 * const layout = layoutJobGraph([
 *   { name: 'build', needs: [] },
 *   { name: 'test', needs: ['build'] },
 * ]);
 * layout.nodes.map((node) => node.layer); // [0, 1]
 * ```
 */
export function layoutJobGraph(
  jobs: ReadonlyArray<GraphJobInput>,
  options: GraphLayoutOptions = {},
): GraphLayout {
  const settings = { ...DEFAULTS, ...definedOnly(options) };
  const graph = readJobGraph(jobs);
  const units = collapseFanOuts(graph, settings.groupThreshold);
  const layered = orderLayers(units, settings.orderingRounds);
  const sizes = units.units.map((unit) =>
    unit.kind === 'group' ? settings.groupHeight : settings.nodeHeight,
  );
  return placeLayers(units, layered, sizes, settings);
}

/** The layout's sizes with every default filled in. */
export type GraphLayoutSettings = Required<GraphLayoutOptions>;

function definedOnly(options: GraphLayoutOptions): GraphLayoutOptions {
  const result: Record<string, number> = {};
  for (const [key, value] of Object.entries(options)) {
    if (typeof value === 'number' && Number.isFinite(value)) {
      result[key] = value;
    }
  }
  return result;
}
