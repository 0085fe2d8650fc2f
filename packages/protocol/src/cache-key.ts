import { createHash } from 'node:crypto';
import { BUNDLE_API_VERSION } from './bundle.js';
import type { CacheKeyParts } from './schemas/cache.js';
import type { TaskSpec } from './schemas/task.js';

/**
 * The version of how cache keys are made. Bumping it disowns every entry
 * recorded before, as a change of salt does.
 */
export const CACHE_KEY_VERSION = 1;

/** What a task's cache key is made of. */
export interface CacheKeyInput {
  /**
   * Digest of the job's code as bundled; the bundle holds the project's
   * third-party dependencies too, so their versions are part of it.
   */
  codeDigest: string;
  spec: TaskSpec;
  /**
   * A version identifier of each granted secret, by name (the revision
   * it was set at): never its value or a hash of the value.
   */
  secretVersions: Readonly<Record<string, string>>;
  /** Any text; changing it disowns every entry made with another. */
  salt: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The parts of a task's cache key, each by name with the digest of what
 * it covers. Covered: the key's version and salt, the job's code, the
 * command, working directory, each declared environment variable, each
 * input file's content digest and mode at its workspace path, the
 * declared outputs, how the task is isolated (runner, image, network,
 * labels) and each granted secret's version. Not covered, because they do
 * not change what a task produces: its name, pool, timeout, retries,
 * limits, resources, and anything about a file but its content, mode and
 * place in the workspace (never a modification time or a path outside it).
 *
 * @example
 * ```ts
 * const parts = cacheKeyParts({ codeDigest, spec, secretVersions: {}, salt: '' });
 * const key = cacheKeyOf(parts);
 * ```
 */
export function cacheKeyParts(input: CacheKeyInput): CacheKeyParts {
  const { spec } = input;
  const parts: CacheKeyParts = {
    version: sha256(`river-cache ${CACHE_KEY_VERSION} ${BUNDLE_API_VERSION}`),
    salt: sha256(input.salt),
    'job code': sha256(input.codeDigest),
    command: sha256(JSON.stringify(spec.command)),
    cwd: sha256(spec.cwd),
    // In their order: a result's files come back in it.
    outputs: sha256(JSON.stringify(spec.outputs)),
    runner: sha256(
      JSON.stringify({
        runner: spec.runner ?? null,
        image: spec.image ?? null,
        network: spec.network === true,
        labels: [...(spec.labels ?? [])].sort(),
      }),
    ),
  };
  for (const [name, value] of Object.entries(spec.env)) {
    parts[`env ${name}`] = sha256(value);
  }
  for (const file of spec.inputs) {
    parts[`input ${file.path}`] = sha256(`${file.digest} ${file.mode}`);
  }
  for (const name of spec.secrets ?? []) {
    parts[`secret ${name}`] = sha256(
      `${name} ${input.secretVersions[name] ?? 'unset'}`,
    );
  }
  return parts;
}

/** The cache key over all `parts`: SHA-256 of them in name order. */
export function cacheKeyOf(parts: Readonly<CacheKeyParts>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(parts).sort()) {
    hash.update(`${name}\0${parts[name]}\n`);
  }
  return hash.digest('hex');
}

/**
 * What differs between the key parts of a task's last request and of this
 * one, by name, for example `input src/util.c changed`, `env CFLAGS
 * added` or `job code changed`; empty when nothing does.
 */
export function describeKeyChanges(
  before: Readonly<CacheKeyParts>,
  after: Readonly<CacheKeyParts>,
): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changes: string[] = [];
  for (const name of [...names].sort()) {
    const old = before[name];
    const now = after[name];
    if (old === now) {
      continue;
    }
    const what =
      old === undefined ? 'added' : now === undefined ? 'removed' : 'changed';
    changes.push(`${name} ${what}`);
  }
  return changes;
}

/**
 * The identity of a task from run to run: its project, job and name. A
 * miss is explained against the last request with the same identity.
 */
export function taskIdentityOf(
  project: string,
  job: string,
  name: string,
): string {
  return sha256(JSON.stringify([project, job, name]));
}
