/**
 * Checks a task, job or project cache setting. Kept free of imports, so
 * that the authoring API can bundle it into projects, whose job logic
 * has no Node modules.
 */

/** The longest time-to-live a cache setting may give: about 10 years. */
export const MAX_CACHE_TTL_MS = 10 * 365 * 24 * 60 * 60 * 1_000;

/**
 * What is wrong with a cache setting, as words that follow its owner's
 * name (`Task make` + ` has cache.ttl, which is no cache setting; …`), or
 * undefined for a valid one: undefined, a boolean, or `{ ttlMs?, salt? }`
 * with a positive whole `ttlMs` of at most {@link MAX_CACHE_TTL_MS} and a
 * string `salt`.
 */
export function cacheSettingProblem(setting: unknown): string | undefined {
  if (setting === undefined || typeof setting === 'boolean') {
    return undefined;
  }
  if (
    setting === null ||
    typeof setting !== 'object' ||
    Array.isArray(setting)
  ) {
    return (
      `has cache ${JSON.stringify(setting)}; give true, false or ` +
      '{ ttlMs, salt }'
    );
  }
  const { ttlMs, salt, ...unknown } = setting as Record<string, unknown>;
  const [other] = Object.keys(unknown);
  if (other !== undefined) {
    return (
      `has cache.${other}, which is no cache setting; the settings are ` +
      'ttlMs and salt'
    );
  }
  if (
    ttlMs !== undefined &&
    (!Number.isInteger(ttlMs) ||
      (ttlMs as number) < 1 ||
      (ttlMs as number) > MAX_CACHE_TTL_MS)
  ) {
    return (
      `has cache.ttlMs ${String(ttlMs)}; it must be a whole number of ` +
      `milliseconds from 1 to ${MAX_CACHE_TTL_MS}`
    );
  }
  if (salt !== undefined && typeof salt !== 'string') {
    return 'has a cache.salt that is no string';
  }
  return undefined;
}
