/**
 * A short key of a job graph's shape, so a server can lay out each shape once
 * and serve every run of it from a cache.
 */
import type { GraphJobInput } from './graph-layout.js';

/**
 * Bumped when the layout changes, so keys made for an older layout no longer
 * match.
 */
const LAYOUT_VERSION = 1;

/**
 * A stable key of the jobs, their order and their needs: equal inputs give
 * equal keys in any process. Two FNV-1a style hashes with different seeds
 * (64 bits together) plus the job count make a collision between real
 * projects very unlikely; this is not a cryptographic hash.
 *
 * @example
 * ```ts
 * graphShapeKey([{ name: 'build', needs: [] }]); // 'g1-1-…'
 * ```
 */
export function graphShapeKey(jobs: ReadonlyArray<GraphJobInput>): string {
  let first = 0x811c9dc5;
  let second = 0x01000193 ^ 0x5bd1e995;
  const mix = (text: string) => {
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      first = Math.imul(first ^ code, 0x01000193);
      second = Math.imul(second ^ code, 0x5bd1e995);
      second ^= second >>> 15;
    }
  };

  for (const job of jobs) {
    // JSON quoting keeps names with separators in them unambiguous.
    mix(JSON.stringify(job.name));
    mix(':');
    mix(JSON.stringify(job.needs));
    mix(';');
  }

  const hex = (value: number) => (value >>> 0).toString(16).padStart(8, '0');
  return `g${LAYOUT_VERSION}-${jobs.length}-${hex(first)}${hex(second)}`;
}
