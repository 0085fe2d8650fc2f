import type { CacheSetting } from '@river/protocol';
import { cacheSettingProblem } from '@river/protocol/cache-setting';
import { DefinitionError } from './errors.js';

/**
 * Checks a cache setting where it is written, so that a mistake names the
 * task, job or project instead of surfacing on the controller.
 *
 * @returns a copy of the setting, of its known fields only.
 * @throws DefinitionError naming `owner` when the setting is neither a
 *   boolean nor `{ ttlMs?, salt? }` with a positive whole `ttlMs`.
 */
export function checkCacheSetting(
  setting: CacheSetting | undefined,
  owner: string,
): CacheSetting | undefined {
  const problem = cacheSettingProblem(setting);
  if (problem !== undefined) {
    throw new DefinitionError(`${owner} ${problem}.`);
  }
  if (setting === undefined || typeof setting === 'boolean') {
    return setting;
  }
  const { ttlMs, salt } = setting;
  return {
    ...(ttlMs === undefined ? {} : { ttlMs }),
    ...(salt === undefined ? {} : { salt }),
  };
}
