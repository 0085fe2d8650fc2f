/**
 * Coordinates for ordered layers: each layer is a column; within it, each
 * item moves toward the mean height of its neighbours, as close as the order
 * and the spacing allow (a least-squares fit, solved exactly per column).
 */
import type { UnitGraph } from './graph-collapse.js';
import type {
  GraphEdge,
  GraphLayout,
  GraphLayoutSettings,
  GraphNode,
  GraphPoint,
} from './graph-layout.js';
import type { LayeredGraph } from './graph-order.js';

/** Rounds of pulling items toward their neighbours; a few suffice. */
const ALIGNMENT_ROUNDS = 4;
/** Space between two edges passing through the same column. */
const DUMMY_GAP = 8;
/** Units weigh more than dummies, so boxes line up before bends vanish. */
const UNIT_WEIGHT = 2;
const DUMMY_WEIGHT = 1;

/** Places the ordered layers and draws the edges through their dummies. */
export function placeLayers(
  graph: UnitGraph,
  layered: LayeredGraph,
  unitHeights: number[],
  settings: GraphLayoutSettings,
): GraphLayout {
  const { unitCount, layers } = layered;
  const heightOf = (item: number) =>
    item < unitCount ? (unitHeights[item] as number) : 0;
  const center = initialCenters(layers, heightOf, settings.nodeGap, unitCount);
  const widest = Math.max(0, ...layers.map((layer) => layer.length));
  const column = new ColumnFit(heightOf, settings.nodeGap, unitCount, widest);

  const last = layers.length - 1;
  for (let round = 0; round < ALIGNMENT_ROUNDS; round++) {
    for (let layer = 1; layer <= last; layer++) {
      column.fit(layers[layer] as number[], center, layered.above);
    }
    for (let layer = last - 1; layer >= 0; layer--) {
      column.fit(layers[layer] as number[], center, layered.below);
    }
  }

  let top = Number.POSITIVE_INFINITY;
  let bottom = Number.NEGATIVE_INFINITY;
  for (const layer of layers) {
    for (const item of layer) {
      top = Math.min(top, (center[item] as number) - heightOf(item) / 2);
      bottom = Math.max(bottom, (center[item] as number) + heightOf(item) / 2);
    }
  }
  const shift = layers.length ? settings.margin - top : 0;
  const columnX = (layer: number) =>
    settings.margin + layer * (settings.nodeWidth + settings.layerGap);
  const y = (item: number) => Math.round((center[item] as number) + shift);

  const nodes: GraphNode[] = [];
  layers.forEach((layer, index) => {
    for (const item of layer) {
      if (item >= unitCount) continue;
      const unit = graph.units[item];
      if (!unit) continue;
      const height = heightOf(item);
      nodes.push({
        id: unit.id,
        kind: unit.kind,
        label: unit.label,
        jobs: unit.members.map((job) => graph.jobs.names[job] as string),
        layer: index,
        x: columnX(index),
        y: y(item) - height / 2,
        width: settings.nodeWidth,
        height,
      });
    }
  });

  const edges: GraphEdge[] = layered.edges.map((edge) => {
    const points: GraphPoint[] = [];
    const fromLayer = layered.layerOf[edge.from] as number;
    points.push({
      x: columnX(fromLayer) + settings.nodeWidth,
      y: y(edge.from),
    });
    for (const dummy of edge.dummies) {
      const x = columnX(layered.layerOf[dummy] as number);
      points.push(
        { x, y: y(dummy) },
        { x: x + settings.nodeWidth, y: y(dummy) },
      );
    }
    const toLayer = layered.layerOf[edge.to] as number;
    points.push({ x: columnX(toLayer), y: y(edge.to) });
    return {
      from: graph.units[edge.from]?.id as string,
      to: graph.units[edge.to]?.id as string,
      points: withoutStraightJoints(points).flatMap(({ x, y }) => [x, y]),
    };
  });

  return {
    nodes,
    edges,
    width: layers.length
      ? columnX(layers.length) - settings.layerGap + settings.margin
      : 2 * settings.margin,
    height: layers.length
      ? Math.ceil(bottom - top + 1) + 2 * settings.margin
      : 2 * settings.margin,
  };
}

function initialCenters(
  layers: number[][],
  heightOf: (item: number) => number,
  nodeGap: number,
  unitCount: number,
): Float64Array {
  let items = 0;
  for (const layer of layers) items += layer.length;
  const center = new Float64Array(items);
  for (const layer of layers) {
    let next = 0;
    let previous = -1;
    for (const item of layer) {
      if (previous >= 0) {
        next += separation(previous, item, heightOf, nodeGap, unitCount);
      }
      center[item] = next;
      previous = item;
    }
  }
  return center;
}

function separation(
  upper: number,
  lower: number,
  heightOf: (item: number) => number,
  nodeGap: number,
  unitCount: number,
): number {
  const gap = upper < unitCount && lower < unitCount ? nodeGap : DUMMY_GAP;
  return (heightOf(upper) + heightOf(lower)) / 2 + gap;
}

/**
 * Moves a column's items toward the mean height of their neighbours while
 * keeping their order and spacing: with the spacing subtracted, this is an
 * isotonic regression, solved by pooling adjacent violators.
 */
class ColumnFit {
  private readonly offsets: Float64Array;
  private readonly blockSum: Float64Array;
  private readonly blockWeight: Float64Array;
  private readonly blockSize: Int32Array;

  constructor(
    private readonly heightOf: (item: number) => number,
    private readonly nodeGap: number,
    private readonly unitCount: number,
    widestLayer: number,
  ) {
    this.offsets = new Float64Array(widestLayer);
    this.blockSum = new Float64Array(widestLayer);
    this.blockWeight = new Float64Array(widestLayer);
    this.blockSize = new Int32Array(widestLayer);
  }

  fit(layer: number[], center: Float64Array, neighbours: number[][]): void {
    const { offsets, blockSum, blockWeight, blockSize } = this;
    let blocks = 0;
    let offset = 0;

    for (let index = 0; index < layer.length; index++) {
      const item = layer[index] as number;
      if (index > 0) {
        const above = layer[index - 1] as number;
        offset += separation(
          above,
          item,
          this.heightOf,
          this.nodeGap,
          this.unitCount,
        );
      }
      offsets[index] = offset;
      const around = neighbours[item] as number[];
      let wanted = center[item] as number;
      if (around.length) {
        let sum = 0;
        for (const other of around) sum += center[other] as number;
        wanted = sum / around.length;
      }

      const weight = item < this.unitCount ? UNIT_WEIGHT : DUMMY_WEIGHT;
      blockSum[blocks] = weight * (wanted - offset);
      blockWeight[blocks] = weight;
      blockSize[blocks] = 1;
      blocks++;
      // Merge while a block would sit above the one before it.
      while (blocks > 1) {
        const last = blocks - 1;
        const lastMean =
          (blockSum[last] as number) / (blockWeight[last] as number);
        const previousMean =
          (blockSum[last - 1] as number) / (blockWeight[last - 1] as number);
        if (previousMean <= lastMean) break;
        blockSum[last - 1] =
          (blockSum[last - 1] as number) + (blockSum[last] as number);
        blockWeight[last - 1] =
          (blockWeight[last - 1] as number) + (blockWeight[last] as number);
        blockSize[last - 1] =
          (blockSize[last - 1] as number) + (blockSize[last] as number);
        blocks--;
      }
    }

    let index = 0;
    for (let block = 0; block < blocks; block++) {
      const mean = (blockSum[block] as number) / (blockWeight[block] as number);
      const end = index + (blockSize[block] as number);
      for (; index < end; index++) {
        center[layer[index] as number] = mean + (offsets[index] as number);
      }
    }
  }
}

/** Drops points in the middle of a straight horizontal run. */
function withoutStraightJoints(points: GraphPoint[]): GraphPoint[] {
  return points.filter((point, index) => {
    const before = points[index - 1];
    const after = points[index + 1];
    return !(before && after && before.y === point.y && after.y === point.y);
  });
}
