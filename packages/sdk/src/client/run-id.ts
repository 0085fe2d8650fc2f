import { randomBytes } from 'node:crypto';

/**
 * A new run id: time-ordered, unique, and safe as a subject token, for
 * example `run-mf3k2x9a-4q8z1c`.
 */
export function newRunId(now = Date.now()): string {
  const random = randomBytes(5).readUIntBE(0, 5).toString(36).padStart(8, '0');
  return `run-${now.toString(36)}-${random}`;
}
