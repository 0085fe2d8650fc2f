import type { CacheSetting } from '@river/protocol';
import { DefinitionError } from './errors.js';

/** The longest time-to-live a cache setting may give: about 10 years. */
const MAX_CACHE_TTL_MS = 10 * 365 * 24 * 60 * 60 * 1_000;

/**
 * Checks a cache setting where it is written, so that a mistake names the
 * task, job or project instead of surfacing on the controller.
 *
 * @throws DefinitionError naming `owner` when the setting is neither a
 *   boolean nor `{ ttlMs?, salt? }` with a positive whole `ttlMs`.
 */
export function checkCacheSetting(
  setting: CacheSetting | undefined,
  owner: string,
): CacheSetting | undefined {
  if (setting === undefined || typeof setting === 'boolean') {
    return setting;
  }
  if (
    setting === null ||
    typeof setting !== 'object' ||
    Array.isArray(setting)
  ) {
    throw new DefinitionError(
      `${owner} has cache ${JSON.stringify(setting)}; give true, false or ` +
        '{ ttlMs, salt }.',
    );
  }
  const unknown = Object.keys(setting).filter(
    (name) => name !== 'ttlMs' && name !== 'salt',
  );
  if (unknown.length > 0) {
    throw new DefinitionError(
      `${owner} has cache.${unknown[0]}, which is no cache setting; the ` +
        'settings are ttlMs and salt.',
    );
  }
  const { ttlMs, salt } = setting;
  if (
    ttlMs !== undefined &&
    (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_CACHE_TTL_MS)
  ) {
    throw new DefinitionError(
      `${owner} has cache.ttlMs ${String(ttlMs)}; it must be a whole ` +
        `number of milliseconds from 1 to ${MAX_CACHE_TTL_MS}.`,
    );
  }
  if (salt !== undefined && typeof salt !== 'string') {
    throw new DefinitionError(`${owner} has a cache.salt that is no string.`);
  }
  return {
    ...(ttlMs === undefined ? {} : { ttlMs }),
    ...(salt === undefined ? {} : { salt }),
  };
}
