import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes of one allocated block, as `st_blocks` counts them. */
const BLOCK_BYTES = 512;

/** What a directory tree takes on disk. */
export interface DiskUsage {
  /** Allocated bytes of every entry, the root included. */
  bytes: number;
  /** Files, directories and other inodes under the root, not counting it. */
  files: number;
}

/**
 * The disk space a directory tree takes: allocated blocks of every entry,
 * links not followed, each inode counted once, so that sparse files count
 * what they hold and hard links count once; and how many inodes it holds,
 * since empty files take no blocks but do take inodes. Entries that
 * vanish while it walks are skipped. The walk stops early, with what it
 * counted so far, once `maxFiles` is passed: a tree of millions of files
 * need not be walked to know it is over.
 */
export async function diskUsage(
  root: string,
  maxFiles = Number.POSITIVE_INFINITY,
): Promise<DiskUsage> {
  const seen = new Set<string>();
  let bytes = 0;
  let files = -1;
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
    files += 1;
    if (files > maxFiles) {
      break;
    }
    if (stats.isDirectory()) {
      const names = await readdir(path).catch(() => []);
      for (const name of names) {
        pending.push(join(path, name));
      }
    }
  }
  return { bytes, files: Math.max(files, 0) };
}
