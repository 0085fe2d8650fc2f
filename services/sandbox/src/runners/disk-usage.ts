import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes of one allocated block, as `st_blocks` counts them. */
const BLOCK_BYTES = 512;

/**
 * The disk space a directory tree takes: allocated blocks of every entry,
 * links not followed, each inode counted once, so that sparse files count
 * what they hold and hard links count once. Entries that vanish while it
 * walks are skipped.
 */
export async function diskUsage(root: string): Promise<number> {
  const seen = new Set<string>();
  let bytes = 0;
  const pending = [root];
  while (pending.length > 0) {
    const path = pending.pop() as string;
    let stats: Awaited<ReturnType<typeof lstat>>;
    try {
      stats = await lstat(path, { bigint: false });
    } catch {
      continue;
    }
    const inode = `${stats.dev}:${stats.ino}`;
    if (seen.has(inode)) {
      continue;
    }
    seen.add(inode);
    bytes += stats.blocks * BLOCK_BYTES;
    if (stats.isDirectory()) {
      const names = await readdir(path).catch(() => []);
      for (const name of names) {
        pending.push(join(path, name));
      }
    }
  }
  return bytes;
}
