import { readdir, readFile } from 'node:fs/promises';

/** A process that /proc lists and that is not a zombie. */
export interface LivingProcess {
  pid: number;
  /** Its parent's pid. */
  ppid: number;
  /** Its process group's id. */
  pgid: number;
}

/**
 * Every living process /proc lists: zombies, which only wait for their
 * parent to reap them, are left out.
 *
 * @throws when /proc cannot be read, for example off Linux.
 */
export async function livingProcesses(): Promise<LivingProcess[]> {
  const found: LivingProcess[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    let stat: string;
    try {
      stat = await readFile(`/proc/${entry}/stat`, 'utf8');
    } catch {
      // It ended while the list was read.
      continue;
    }
    // Fields after the command name, which may itself hold spaces or ')'.
    const [state, ppid, pgid] = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ');
    if (state !== 'Z' && state !== 'X') {
      found.push({
        pid: Number(entry),
        ppid: Number(ppid),
        pgid: Number(pgid),
      });
    }
  }
  return found;
}
