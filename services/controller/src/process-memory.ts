import { readFileSync } from 'node:fs';

/**
 * The writable memory (VmData, what the data limit counts) of a process
 * or of the largest process below it, in MiB: bwrap's child is the one
 * that holds job logic. Undefined where /proc cannot tell.
 */
export function dataMbOf(pid: number | undefined): number | undefined {
  if (pid === undefined) {
    return undefined;
  }
  const own = vmDataKb(pid);
  const below = childrenOf(pid).map((child) => dataMbOf(child) ?? 0);
  if (own === undefined && below.length === 0) {
    return undefined;
  }
  return Math.max((own ?? 0) / 1024, ...below);
}

function vmDataKb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmData:\s+(\d+) kB$/m.exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((id) => id !== '')
      .map(Number);
  } catch {
    return [];
  }
}
