/**
 * Large fan-outs folded into group nodes: jobs with exactly the same needs
 * and exactly the same dependents are interchangeable in the drawing, so
 * hundreds of them read better as one box.
 */
import type { JobGraph } from './graph-input.js';

/** One box of the drawing: a job, or a group of interchangeable jobs. */
export interface LayoutUnit {
  kind: 'job' | 'group';
  id: string;
  label: string;
  /** Job indices, in input order. */
  members: number[];
}

/** The graph between boxes; `successors[u]` holds unit indices, no repeats. */
export interface UnitGraph {
  jobs: JobGraph;
  units: LayoutUnit[];
  successors: number[][];
  predecessors: number[][];
}

/**
 * Folds each set of more than `threshold` interchangeable jobs into a group.
 * Units keep the input order of their first job.
 */
export function collapseFanOuts(jobs: JobGraph, threshold: number): UnitGraph {
  const signatures = jobs.names.map((_, job) => signatureOf(jobs, job));
  const bySignature = new Map<string, number[]>();
  signatures.forEach((signature, job) => {
    const members = bySignature.get(signature);
    if (members) members.push(job);
    else bySignature.set(signature, [job]);
  });

  const taken = new Set(jobs.names);
  const unitOf = new Int32Array(jobs.names.length).fill(-1);
  const units: LayoutUnit[] = [];
  jobs.names.forEach((name, job) => {
    if (unitOf[job] !== -1) return;
    const members = bySignature.get(signatures[job] as string) as number[];
    const unit: LayoutUnit =
      members.length > threshold
        ? groupUnit(members, jobs.names, taken)
        : { kind: 'job', id: name, label: name, members: [job] };
    for (const member of unit.members) unitOf[member] = units.length;
    units.push(unit);
  });

  return { jobs, units, ...unitEdges(jobs, units, unitOf) };
}

function signatureOf(jobs: JobGraph, job: number): string {
  const needs = [...(jobs.needs[job] as number[])].sort((a, b) => a - b);
  const dependents = [...(jobs.dependents[job] as number[])].sort(
    (a, b) => a - b,
  );
  return `${needs.join(',')}|${dependents.join(',')}`;
}

function groupUnit(
  members: number[],
  names: string[],
  taken: Set<string>,
): LayoutUnit {
  const memberNames = members.map((member) => names[member] as string);
  const prefix = commonPrefix(memberNames);
  const count = `${members.length} jobs`;
  return {
    kind: 'group',
    id: freeId(`group:${memberNames[0]}`, taken),
    label: prefix ? `${prefix}* (${count})` : count,
    members,
  };
}

function commonPrefix(names: string[]): string {
  let prefix = names[0] ?? '';
  for (const name of names) {
    let length = 0;
    const limit = Math.min(prefix.length, name.length);
    while (length < limit && prefix[length] === name[length]) length++;
    prefix = prefix.slice(0, length);
    if (!prefix) break;
  }
  return prefix;
}

/** A group id that no job has, since ids and job names share one space. */
function freeId(wanted: string, taken: Set<string>): string {
  let id = wanted;
  while (taken.has(id)) id = `${id}~`;
  taken.add(id);
  return id;
}

function unitEdges(
  jobs: JobGraph,
  units: LayoutUnit[],
  unitOf: Int32Array,
): Pick<UnitGraph, 'successors' | 'predecessors'> {
  const successors = units.map(() => new Set<number>());
  const predecessors = units.map(() => new Set<number>());
  jobs.dependents.forEach((dependents, need) => {
    const from = unitOf[need] as number;
    for (const job of dependents) {
      const to = unitOf[job] as number;
      successors[from]?.add(to);
      predecessors[to]?.add(from);
    }
  });
  return {
    successors: successors.map((set) => [...set]),
    predecessors: predecessors.map((set) => [...set]),
  };
}
