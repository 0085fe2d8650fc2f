/**
 * Layers and the order within each layer: layers by longest path, edges that
 * skip layers split by dummy points, then barycenter sweeps that keep the
 * order with the fewest crossings.
 */
import type { UnitGraph } from './graph-collapse.js';

/**
 * Units and dummy points ("items") in ordered layers. Items `0..unitCount-1`
 * are the units; the rest are dummies, each on one edge that skips layers.
 */
export interface LayeredGraph {
  unitCount: number;
  layerOf: Int32Array;
  /** Items of each layer, from top to bottom. */
  layers: number[][];
  /** Neighbours of each item in the layer before and the layer after. */
  above: number[][];
  below: number[][];
  /** Every unit edge with the dummies it passes through, in layer order. */
  edges: Array<{ from: number; to: number; dummies: number[] }>;
}

/** Barycenters are compared to this fraction of a position. */
const BARYCENTER_STEPS = 1024;

/** Splits the unit graph into layers and orders them in `rounds` rounds. */
export function orderLayers(graph: UnitGraph, rounds: number): LayeredGraph {
  const layered = splitIntoLayers(graph);
  const position = new Int32Array(layered.layerOf.length);
  const place = () =>
    layered.layers.forEach((layer) => {
      layer.forEach((item, index) => {
        position[item] = index;
      });
    });
  place();

  let best = layered.layers.map((layer) => [...layer]);
  let fewest = countCrossings(layered, position);
  for (let round = 0; round < rounds && fewest > 0; round++) {
    for (let layer = 1; layer < layered.layers.length; layer++) {
      sortByBarycenter(layered.layers[layer] as number[], layered.above);
      updatePositions(layered.layers[layer] as number[], position);
    }
    for (let layer = layered.layers.length - 2; layer >= 0; layer--) {
      sortByBarycenter(layered.layers[layer] as number[], layered.below);
      updatePositions(layered.layers[layer] as number[], position);
    }

    const crossings = countCrossings(layered, position);
    if (crossings < fewest) {
      fewest = crossings;
      best = layered.layers.map((layer) => [...layer]);
    }
  }

  layered.layers = best;
  return layered;

  /**
   * Sorts a layer by the mean position of each item's neighbours, ties kept
   * in the current order. The key packs the barycenter (to 1/1024) above the
   * current position, so a native numeric sort does the work and the
   * position read back from the key names the item.
   */
  function sortByBarycenter(layer: number[], neighbours: number[][]): void {
    const size = layer.length;
    const keys = new Float64Array(size);
    let sorted = true;
    for (let index = 0; index < size; index++) {
      const around = neighbours[layer[index] as number] as number[];
      let sum = 0;
      for (const other of around) sum += position[other] as number;
      // An item with no neighbours on that side keeps its place.
      const barycenter = around.length ? sum / around.length : index;
      keys[index] = Math.round(barycenter * BARYCENTER_STEPS) * size + index;
      if (index > 0 && (keys[index - 1] as number) > (keys[index] as number)) {
        sorted = false;
      }
    }
    if (sorted) return;

    keys.sort();
    const before = layer.slice();
    for (let index = 0; index < size; index++) {
      layer[index] = before[(keys[index] as number) % size] as number;
    }
  }
}

function updatePositions(layer: number[], position: Int32Array): void {
  layer.forEach((item, index) => {
    position[item] = index;
  });
}

/** Longest-path layers, dummies on long edges, first order by a DFS. */
function splitIntoLayers(graph: UnitGraph): LayeredGraph {
  const unitCount = graph.units.length;
  const unitLayer = longestPathLayers(graph);
  const layerOf: number[] = Array.from(unitLayer);
  const above: number[][] = graph.units.map(() => []);
  const below: number[][] = graph.units.map(() => []);
  const edges: LayeredGraph['edges'] = [];
  const outgoing: number[][] = graph.units.map(() => []);

  graph.successors.forEach((successors, from) => {
    for (const to of successors) {
      const dummies: number[] = [];
      let previous = from;
      for (
        let layer = layerOf[from] as number;
        layer + 1 < (layerOf[to] as number);
        layer++
      ) {
        const dummy = layerOf.length;
        layerOf.push(layer + 1);
        above.push([previous]);
        below.push([]);
        (below[previous] as number[]).push(dummy);
        dummies.push(dummy);
        previous = dummy;
      }
      (below[previous] as number[]).push(to);
      (above[to] as number[]).push(previous);
      outgoing[from]?.push(edges.length);
      edges.push({ from, to, dummies });
    }
  });

  const layerCount = Math.max(0, ...unitLayer) + 1;
  const layers: number[][] = Array.from({ length: layerCount }, () => []);
  for (const unit of depthFirstOrder(graph)) {
    layers[layerOf[unit] as number]?.push(unit);
    for (const edge of outgoing[unit] as number[]) {
      for (const dummy of edges[edge]?.dummies ?? []) {
        layers[layerOf[dummy] as number]?.push(dummy);
      }
    }
  }

  return {
    unitCount,
    layerOf: Int32Array.from(layerOf),
    layers: unitCount ? layers : [],
    above,
    below,
    edges,
  };
}

function longestPathLayers(graph: UnitGraph): Int32Array {
  const count = graph.units.length;
  const layer = new Int32Array(count);
  const waiting = Int32Array.from(graph.predecessors, (list) => list.length);
  const ready: number[] = [];
  for (let unit = 0; unit < count; unit++) {
    if (waiting[unit] === 0) ready.push(unit);
  }

  while (ready.length > 0) {
    const unit = ready.pop() as number;
    for (const next of graph.successors[unit] as number[]) {
      layer[next] = Math.max(
        layer[next] as number,
        (layer[unit] as number) + 1,
      );
      waiting[next] = (waiting[next] as number) - 1;
      if (waiting[next] === 0) ready.push(next);
    }
  }
  return layer;
}

/** Units in the order a walk from each source, in input order, finds them. */
function depthFirstOrder(graph: UnitGraph): number[] {
  const seen = new Uint8Array(graph.units.length);
  const order: number[] = [];
  for (let root = 0; root < graph.units.length; root++) {
    if (seen[root] || (graph.predecessors[root] as number[]).length) continue;
    const stack = [root];
    seen[root] = 1;
    while (stack.length > 0) {
      const unit = stack.pop() as number;
      order.push(unit);
      const next = graph.successors[unit] as number[];
      for (let index = next.length - 1; index >= 0; index--) {
        const successor = next[index] as number;
        if (!seen[successor]) {
          seen[successor] = 1;
          stack.push(successor);
        }
      }
    }
  }
  return order;
}

/**
 * Crossings between every pair of neighbouring layers, counted as inversions
 * of the lower ends with a Fenwick tree: O(edges × log(layer size)).
 */
function countCrossings(layered: LayeredGraph, position: Int32Array): number {
  let widest = 0;
  for (const layer of layered.layers) widest = Math.max(widest, layer.length);
  const tree = new Int32Array(widest + 1);

  let crossings = 0;
  for (let layer = 0; layer + 1 < layered.layers.length; layer++) {
    const lowerSize = (layered.layers[layer + 1] as number[]).length;
    tree.fill(0, 0, lowerSize + 1);
    let inserted = 0;
    for (const item of layered.layers[layer] as number[]) {
      const ends = layered.below[item] as number[];
      // Edges inserted before whose lower end lies right of this one cross
      // it; edges of the same item never cross, so they go in afterwards.
      for (const other of ends) {
        let atOrBefore = 0;
        for (let index = (position[other] as number) + 1; index > 0; ) {
          atOrBefore += tree[index] as number;
          index -= index & -index;
        }
        crossings += inserted - atOrBefore;
      }
      for (const other of ends) {
        for (
          let index = (position[other] as number) + 1;
          index <= lowerSize;
        ) {
          tree[index] = (tree[index] as number) + 1;
          index += index & -index;
        }
      }
      inserted += ends.length;
    }
  }
  return crossings;
}
