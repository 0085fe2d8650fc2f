/**
 * Finds what a rectangle of the layout holds without looking at every node:
 * columns by binary search on x, then nodes of a column by binary search on
 * y. This is what keeps a frame cheap at thousands of nodes.
 */
import type { GraphEdge, GraphLayout, GraphNode } from '@river/run-view';

/** A rectangle in layout units. */
export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

interface Column {
  left: number;
  right: number;
  /** Sorted from top to bottom. */
  nodes: GraphNode[];
}

/** The layout with lookups by id, by job and by area. */
export class LayoutIndex {
  readonly nodeById = new Map<string, GraphNode>();
  /** The node that draws each job: itself or its group. */
  readonly nodeOfJob = new Map<string, GraphNode>();
  private readonly columns: Column[] = [];
  /** Bounding boxes of the edges: left, top, right, bottom per edge. */
  private readonly edgeBoxes: Float64Array;

  constructor(readonly layout: GraphLayout) {
    for (const node of layout.nodes) {
      this.nodeById.set(node.id, node);
      for (const job of node.jobs) this.nodeOfJob.set(job, node);
      this.columnAt(node).nodes.push(node);
    }
    this.columns.sort((a, b) => a.left - b.left);
    for (const column of this.columns) column.nodes.sort((a, b) => a.y - b.y);

    this.edgeBoxes = new Float64Array(layout.edges.length * 4);
    layout.edges.forEach((edge, index) => {
      const box = boundsOf(edge);
      this.edgeBoxes.set([box.left, box.top, box.right, box.bottom], index * 4);
    });
  }

  /** Nodes that overlap the rectangle, column by column. */
  nodesIn(area: Rect): GraphNode[] {
    const found: GraphNode[] = [];
    const first = firstIndex(this.columns, (c) => c.right >= area.left);
    for (let c = first; c < this.columns.length; c++) {
      const column = this.columns[c] as Column;
      if (column.left > area.right) break;
      const nodes = column.nodes;
      const top = firstIndex(nodes, (node) => node.y + node.height >= area.top);
      for (let n = top; n < nodes.length; n++) {
        const node = nodes[n] as GraphNode;
        if (node.y > area.bottom) break;
        found.push(node);
      }
    }
    return found;
  }

  /** Indices of the edges whose bounding box overlaps the rectangle. */
  edgesIn(area: Rect): number[] {
    const found: number[] = [];
    const boxes = this.edgeBoxes;
    for (let index = 0; index < this.layout.edges.length; index++) {
      const at = index * 4;
      if (
        (boxes[at] as number) <= area.right &&
        (boxes[at + 2] as number) >= area.left &&
        (boxes[at + 1] as number) <= area.bottom &&
        (boxes[at + 3] as number) >= area.top
      ) {
        found.push(index);
      }
    }
    return found;
  }

  private columnAt(node: GraphNode): Column {
    const last = this.columns.at(-1);
    // Nodes come sorted by layer, so a node's column is usually the last one.
    if (last && last.left === node.x) return last;
    const existing = this.columns.find((column) => column.left === node.x);
    if (existing) return existing;
    const column = { left: node.x, right: node.x + node.width, nodes: [] };
    this.columns.push(column);
    return column;
  }
}

function boundsOf(edge: GraphEdge): Rect {
  const box = {
    left: Number.POSITIVE_INFINITY,
    top: Number.POSITIVE_INFINITY,
    right: Number.NEGATIVE_INFINITY,
    bottom: Number.NEGATIVE_INFINITY,
  };
  const { points } = edge;
  for (let index = 0; index < points.length; index += 2) {
    const x = points[index] as number;
    const y = points[index + 1] as number;
    box.left = Math.min(box.left, x);
    box.right = Math.max(box.right, x);
    box.top = Math.min(box.top, y);
    box.bottom = Math.max(box.bottom, y);
  }
  return box;
}

/** The first index whose item passes `test`, for a test that flips once. */
function firstIndex<T>(items: T[], test: (item: T) => boolean): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (test(items[middle] as T)) high = middle;
    else low = middle + 1;
  }
  return low;
}
