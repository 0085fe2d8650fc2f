import { livingProcesses } from '../proc-table.js';

/**
 * The pids of every living descendant of `pid`, read from /proc: what a
 * process started, however deep, as long as it did not leave the tree
 * through a reaper outside it. Empty when /proc cannot be read.
 */
export async function descendants(pid: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  const processes = await livingProcesses().catch(() => []);
  for (const { pid: child, ppid } of processes) {
    const siblings = children.get(ppid) ?? [];
    siblings.push(child);
    children.set(ppid, siblings);
  }

  const found: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    for (const child of children.get(pending.pop() as number) ?? []) {
      found.push(child);
      pending.push(child);
    }
  }
  return found;
}
