import {
  type CacheReuse,
  cacheKeyOf,
  cacheKeyParts,
  type TaskCache,
  type TaskSpec,
  taskIdentityOf,
} from '@river/protocol';
import { cacheSettingProblem } from '@river/protocol/cache-setting';

/** How long a recorded result is reused when a setting names no ttlMs. */
export const DEFAULT_CACHE_TTL_MS = 7 * 24 * 60 * 60 * 1_000;

/** A cache setting of a project, job or task, checked and merged. */
export interface ResolvedCacheSetting {
  use: boolean;
  ttlMs: number;
  salt: string;
}

/** A cache setting the job logic handed over is not one. */
export class CacheSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CacheSettingError';
  }
}

/**
 * Merges the cache settings of a project, a job and a task, nearest last:
 * `true` turns caching on, `false` off, and `{ ttlMs, salt }` turns it on
 * with those fields replacing the ones further out. Job logic is not
 * trusted, so each setting is checked again here.
 *
 * @throws CacheSettingError naming the owner of a setting that is neither
 *   a boolean nor `{ ttlMs?, salt? }`.
 */
export function resolveCacheSetting(
  levels: readonly (readonly [owner: string, setting: unknown])[],
): ResolvedCacheSetting {
  let resolved: ResolvedCacheSetting = {
    use: false,
    ttlMs: DEFAULT_CACHE_TTL_MS,
    salt: '',
  };
  for (const [owner, setting] of levels) {
    if (setting === undefined) {
      continue;
    }
    if (typeof setting === 'boolean') {
      resolved = { ...resolved, use: setting };
      continue;
    }
    if (cacheSettingProblem(setting) !== undefined) {
      throw new CacheSettingError(
        `${owner} has an invalid cache setting ${JSON.stringify(setting)}: ` +
          'give true, false or { ttlMs, salt } with a positive whole ttlMs',
      );
    }
    const { ttlMs, salt } = setting as { ttlMs?: number; salt?: string };
    resolved = {
      use: true,
      ttlMs: ttlMs ?? resolved.ttlMs,
      salt: salt ?? resolved.salt,
    };
  }
  return resolved;
}

/** What {@link planTaskCache} needs to know about the task and its run. */
export interface TaskCacheInput {
  project: string;
  job: string;
  name: string;
  spec: TaskSpec;
  setting: ResolvedCacheSetting;
  /** The job's code: the digest of the run's bundle. */
  codeDigest: string;
  /** The operator's salt (`RIVER_CACHE_SALT`), joined to the author's. */
  serviceSalt: string;
  /** Set for an untrusted run. */
  untrustedScope: string | undefined;
  /** The retried run's successful attempt of the same task, if any. */
  reuse: CacheReuse | undefined;
  /**
   * The version of each granted secret, by name (see
   * {@link secretVersionsOf}). Left out, the key is a stand-in of the same
   * size, which is all a check of the request's size needs.
   */
  secretVersions?: Readonly<Record<string, string>>;
}

/**
 * The `cache` field of a task request: its key and the key's parts, or
 * undefined when the task neither uses the cache nor has a result of a
 * retried run to reuse.
 */
export function planTaskCache(input: TaskCacheInput): TaskCache | undefined {
  const { setting, spec, reuse } = input;
  if (!setting.use && reuse === undefined) {
    return undefined;
  }
  const parts = cacheKeyParts({
    codeDigest: input.codeDigest,
    spec,
    secretVersions: input.secretVersions ?? {},
    salt: JSON.stringify([input.serviceSalt, setting.salt]),
  });
  return {
    key: cacheKeyOf(parts),
    parts,
    identity: taskIdentityOf(input.project, input.job, input.name),
    use: setting.use,
    ttlMs: setting.ttlMs,
    ...(input.untrustedScope === undefined
      ? {}
      : { untrustedScope: input.untrustedScope }),
    ...(reuse === undefined ? {} : { reuse }),
  };
}

/**
 * The version of each secret named, by name: the revision it was set at,
 * or `unset`.
 */
export async function secretVersionsOf(
  names: readonly string[],
  versionOf: (name: string) => Promise<string | undefined>,
): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const name of names) {
    versions[name] = (await versionOf(name)) ?? 'unset';
  }
  return versions;
}
