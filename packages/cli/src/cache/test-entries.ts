import type { CacheEntry } from '@river/protocol';
import type { StoredEntry } from './entries.js';

/**
 * A stored entry made up for tests: `key` repeats its first character,
 * `files` are its files' digests, each of `bytes / files.length` bytes.
 */
export function storedEntry(options: {
  key: string;
  scope?: string;
  recordedAt: number;
  expiresAt: number;
  bytes: number;
  files?: string[];
}): StoredEntry {
  const key = options.key.padEnd(64, options.key[0]);
  const scope = options.scope ?? 'trusted';
  const files = options.files ?? [];
  const entry: CacheEntry = {
    schema: 1,
    key,
    parts: {},
    origin: {
      runId: `run-${options.key}`,
      taskId: 'make-1',
      attempt: 1,
      finishedAt: options.recordedAt,
    },
    outcome: {
      ok: true,
      reason: 'exited',
      exitCode: 0,
      signal: null,
      durationMs: 1,
      stdout: '',
      stderr: '',
      stdoutTruncated: false,
      stderrTruncated: false,
      files: files.map((digest, index) => ({
        path: `out/${index}`,
        digest,
        size: options.bytes / files.length,
        mode: 0o644,
      })),
    },
    recordedAt: options.recordedAt,
    expiresAt: options.expiresAt,
    bytes: options.bytes,
  };
  return { bucketKey: `entry.${scope}.${key}`, key, scope, entry };
}
