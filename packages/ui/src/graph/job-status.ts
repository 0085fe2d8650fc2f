/**
 * How a job's status is shown (a symbol and a word, never colour alone), a
 * group's statuses summed up, and which nodes lie on the paths through
 * failed jobs.
 */
import type { GraphLayout, GraphNode, JobStatus } from '@river/run-view';

/** Statuses by job name; a job not in it is waiting. */
export type JobStatuses = Readonly<Record<string, JobStatus>>;

/** The symbol that stands beside each status word. */
export const STATUS_SYMBOL: Record<JobStatus, string> = {
  failed: '✕',
  running: '▶',
  waiting: '○',
  skipped: '⊘',
  succeeded: '✓',
};

/** Statuses from the one that most needs attention to the one that least does. */
export const STATUS_ORDER: readonly JobStatus[] = [
  'failed',
  'running',
  'waiting',
  'skipped',
  'succeeded',
];

/** A job's status, waiting when unknown. */
export function statusOf(statuses: JobStatuses, job: string): JobStatus {
  return statuses[job] ?? 'waiting';
}

/** How many of a node's jobs are in each status. */
export function countStatuses(
  node: GraphNode,
  statuses: JobStatuses,
): Record<JobStatus, number> {
  const counts = {
    failed: 0,
    running: 0,
    waiting: 0,
    skipped: 0,
    succeeded: 0,
  };
  for (const job of node.jobs) counts[statusOf(statuses, job)]++;
  return counts;
}

/**
 * The status a node shows: its job's, or for a group the one that most
 * needs attention among its members (one failure makes the group failed).
 */
export function nodeStatus(node: GraphNode, statuses: JobStatuses): JobStatus {
  if (node.kind === 'job') return statusOf(statuses, node.id);
  const counts = countStatuses(node, statuses);
  if (counts.failed) return 'failed';
  if (counts.running) return 'running';
  if (counts.succeeded === node.jobs.length) return 'succeeded';
  if (counts.skipped === node.jobs.length) return 'skipped';
  return 'waiting';
}

/**
 * Counts as text, the most urgent first: `✕ 3 failed, ✓ 477 succeeded`, or
 * without the symbols for a screen reader.
 */
export function describeCounts(
  counts: Record<JobStatus, number>,
  withSymbols = true,
): string {
  return STATUS_ORDER.filter((status) => counts[status] > 0)
    .map((status) =>
      withSymbols
        ? `${STATUS_SYMBOL[status]} ${counts[status]} ${status}`
        : `${counts[status]} ${status}`,
    )
    .join(', ');
}

/** Nodes and edges on a path through a failed job. */
export interface FailedPaths {
  nodes: Set<string>;
  edges: Set<number>;
}

/**
 * Every node that leads to a failed job or follows from one, and the edges
 * between them: what a reader needs to see to understand the failures.
 */
export function failedPaths(
  layout: GraphLayout,
  statuses: JobStatuses,
): FailedPaths {
  const upstream = new Map<string, number[]>();
  const downstream = new Map<string, number[]>();
  layout.edges.forEach((edge, index) => {
    listIn(downstream, edge.from).push(index);
    listIn(upstream, edge.to).push(index);
  });

  const failed = layout.nodes
    .filter((node) => node.jobs.some((job) => statuses[job] === 'failed'))
    .map((node) => node.id);
  const nodes = new Set<string>(failed);
  const edges = new Set<number>();
  const walk = (byNode: Map<string, number[]>, end: 'from' | 'to') => {
    const seen = new Set<string>(failed);
    const queue = [...failed];
    while (queue.length > 0) {
      const id = queue.pop() as string;
      for (const index of byNode.get(id) ?? []) {
        edges.add(index);
        const next = layout.edges[index]?.[end] as string;
        nodes.add(next);
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
  };
  walk(upstream, 'from');
  walk(downstream, 'to');
  return { nodes, edges };
}

function listIn(map: Map<string, number[]>, key: string): number[] {
  let list = map.get(key);
  if (!list) {
    list = [];
    map.set(key, list);
  }
  return list;
}
