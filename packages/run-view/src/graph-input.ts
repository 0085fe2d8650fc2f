/**
 * The job list read into an index-based graph the layout can work on quickly,
 * with unknown needs dropped and every cycle broken.
 */
import type { GraphJobInput } from './graph-layout.js';

/** Jobs by index: `needs[i]` and `dependents[i]` hold indices, no repeats. */
export interface JobGraph {
  names: string[];
  needs: number[][];
  dependents: number[][];
}

/**
 * Reads the jobs in their given order. A repeated name keeps its first job; a
 * need of an unknown job, or of the job itself, is dropped; an edge that
 * closes a cycle (found by a depth-first walk in input order) is dropped.
 */
export function readJobGraph(jobs: ReadonlyArray<GraphJobInput>): JobGraph {
  const indexOf = new Map<string, number>();
  const kept: GraphJobInput[] = [];
  for (const job of jobs) {
    if (indexOf.has(job.name)) continue;
    indexOf.set(job.name, kept.length);
    kept.push(job);
  }

  const needs = kept.map((job, index) => {
    const found = new Set<number>();
    for (const name of job.needs) {
      const need = indexOf.get(name);
      if (need !== undefined && need !== index) found.add(need);
    }
    return [...found];
  });

  const graph: JobGraph = {
    names: kept.map((job) => job.name),
    needs,
    dependents: dependentsOf(needs),
  };
  breakCycles(graph);
  return graph;
}

function dependentsOf(needs: number[][]): number[][] {
  const dependents: number[][] = needs.map(() => []);
  needs.forEach((list, job) => {
    for (const need of list) dependents[need]?.push(job);
  });
  return dependents;
}

const UNSEEN = 0;
const ON_PATH = 1;
const DONE = 2;

/**
 * Walks from each job to its dependents without recursion (a chain of
 * thousands of jobs would overflow the stack) and drops each edge that leads
 * back to a job on the current path.
 */
function breakCycles(graph: JobGraph): void {
  const state = new Uint8Array(graph.names.length);
  const backEdges: Array<[number, number]> = [];

  for (let root = 0; root < graph.names.length; root++) {
    if (state[root] !== UNSEEN) continue;
    const path: number[] = [root];
    const nextEdge: number[] = [0];
    state[root] = ON_PATH;

    while (path.length > 0) {
      const top = path.length - 1;
      const job = path[top] as number;
      const edge = nextEdge[top] as number;
      const dependents = graph.dependents[job] as number[];
      if (edge >= dependents.length) {
        state[job] = DONE;
        path.pop();
        nextEdge.pop();
        continue;
      }

      nextEdge[top] = edge + 1;
      const dependent = dependents[edge] as number;
      if (state[dependent] === ON_PATH) {
        backEdges.push([job, dependent]);
      } else if (state[dependent] === UNSEEN) {
        state[dependent] = ON_PATH;
        path.push(dependent);
        nextEdge.push(0);
      }
    }
  }

  for (const [need, job] of backEdges) {
    graph.dependents[need] = (graph.dependents[need] as number[]).filter(
      (dependent) => dependent !== job,
    );
    graph.needs[job] = (graph.needs[job] as number[]).filter(
      (candidate) => candidate !== need,
    );
  }
}
