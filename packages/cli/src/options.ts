import { parseArgs } from 'node:util';
import { CacheScope } from '@river/protocol';
import { Compile } from '@river/protocol/typebox';
import { TRUSTED_SCOPE, untrustedScopeOf } from './cache/entries.js';
import {
  CACHE_ACTIONS,
  type CacheAction,
  type CacheOptions,
} from './commands/cache.js';
import { SECRET_ACTIONS, type SecretAction } from './commands/secret.js';

/** A mistake on the command line: the usage is printed after it. */
export class UsageError extends Error {}

const cacheScope = Compile(CacheScope);

/** The `--stream` option, checked. */
export function streamOption(
  value: string | undefined,
): 'stdout' | 'stderr' | undefined {
  if (value === undefined || value === 'stdout' || value === 'stderr') {
    return value;
  }
  throw new UsageError(`--stream takes stdout or stderr, not '${value}'.`);
}

/** The run of `river events`, or undefined with `--all`, checked. */
export function eventsRun(
  runId: string | undefined,
  values: { all: boolean; project?: string; status?: string; since?: string },
): string | undefined {
  const filtered = ['project', 'status', 'since'].filter(
    (name) => values[name as keyof typeof values] !== undefined,
  );
  if (runId !== undefined && values.all) {
    throw new UsageError('river events takes a run id or --all, not both.');
  }
  if (runId !== undefined && filtered.length > 0) {
    throw new UsageError(
      `--${filtered.join(', --')} filter${filtered.length === 1 ? 's' : ''} ` +
        "every run's events (--all), not one run's.",
    );
  }
  if (runId === undefined && !values.all) {
    throw new UsageError('river events needs a run id, or --all.');
  }
  return runId;
}

/** The `--after-seq` option: a stream sequence, 0 or more. */
export function sequenceOption(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(value)) {
    throw new UsageError(
      `--after-seq takes the seq of the last event seen, not '${value}'.`,
    );
  }
  return Number(value);
}

/** The `--status` option: a run's final status. */
export function statusOption(
  value: string | undefined,
): 'succeeded' | 'failed' | 'cancelled' | undefined {
  if (
    value === undefined ||
    value === 'succeeded' ||
    value === 'failed' ||
    value === 'cancelled'
  ) {
    return value;
  }
  throw new UsageError(
    `--status takes succeeded, failed or cancelled, not '${value}'.`,
  );
}

/**
 * The `--since` option: an ISO date or time (`2026-01-31`,
 * `2026-01-31T12:00:00Z`) or a duration back from now (`30m`, `2h`, `1d`).
 */
export function timeOption(value: string | undefined): Date | undefined {
  if (value === undefined) {
    return undefined;
  }
  const ago = /^(\d+)([smhd])$/.exec(value);
  if (ago?.[1] !== undefined && ago[2] !== undefined) {
    const unitMs = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      ago[2] as 's' | 'm' | 'h' | 'd'
    ];
    return new Date(Date.now() - Number(ago[1]) * unitMs);
  }
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    throw new UsageError(
      `--since takes an ISO time or a duration such as 30m, not '${value}'.`,
    );
  }
  return new Date(time);
}

/** The action of `river secret`, checked. */
export function secretAction(value: string | undefined): SecretAction {
  const action = SECRET_ACTIONS.find((known) => known === value);
  if (action === undefined) {
    const given = value === undefined ? '' : `, not '${value}'`;
    throw new UsageError(
      `river secret takes ${SECRET_ACTIONS.join(', ')}${given}.`,
    );
  }
  return action;
}

/** An option that takes a whole number of 1 or more, checked. */
export function wholeNumber(
  value: string | undefined,
  option: string,
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`${option} takes a whole number of 1 or more.`);
  }
  return Number(value);
}

/** `name=value` pairs from repeated `--param` options. */
export function parseParams(pairs: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals < 1) {
      throw new UsageError(`--param takes name=value, not '${pair}'.`);
    }
    const name = pair.slice(0, equals);
    if (Object.hasOwn(params, name)) {
      throw new UsageError(`--param ${name} is given twice.`);
    }
    params[name] = pair.slice(equals + 1);
  }
  return params;
}

/**
 * The command line's options and positional arguments, parsed.
 *
 * @throws UsageError for an unknown option or a missing value.
 */
export function parseUsage(argv: string[]) {
  try {
    return parseArgs({
      args: joinNegativeNumbers(argv),
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
        project: { type: 'string' },
        status: { type: 'string' },
        since: { type: 'string' },
        'after-seq': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        follow: { type: 'boolean', short: 'f', default: false },
        store: { type: 'string' },
        reason: { type: 'string' },
        stream: { type: 'string' },
        attempt: { type: 'string' },
        raw: { type: 'boolean', default: false },
        bytes: { type: 'string' },
        usage: { type: 'boolean', default: false },
        param: { type: 'string', multiple: true, short: 'p' },
        'from-file': { type: 'string' },
        'private-key-file': { type: 'string' },
        out: { type: 'string' },
        pool: { type: 'string', multiple: true },
        listen: { type: 'string' },
        replicas: { type: 'string' },
        'retention-days': { type: 'string' },
        untrusted: { type: 'string' },
        scope: { type: 'string' },
        'max-bytes': { type: 'string' },
        'blob-min-age-days': { type: 'string' },
        priority: { type: 'string' },
        labels: { type: 'string' },
        slots: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Options whose value may be a negative number, such as `-50`. */
const SIGNED_OPTIONS = new Set(['--priority']);

/**
 * `--priority -50` as `--priority=-50`: the argument parser would read
 * `-50` as options of its own.
 */
function joinNegativeNumbers(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const next = argv[i + 1];
    if (SIGNED_OPTIONS.has(arg) && next !== undefined && /^-\d+$/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** The `--priority` option: a whole number from -1000 to 1000. */
export function priorityOption(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const priority = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || Math.abs(priority) > 1000) {
    throw new UsageError(
      `--priority takes a whole number from -1000 to 1000, not '${value}'.`,
    );
  }
  return priority;
}

/** The `--untrusted` option: a cache scope name, checked. */
export function untrustedOption(value: string | undefined): string | undefined {
  if (value !== undefined && !cacheScope.Check(value)) {
    throw new UsageError(
      `--untrusted takes a cache scope of 1 to 64 letters, digits, '-' ` +
        `and '_' (such as pr-1234), not '${value}'.`,
    );
  }
  return value;
}

/** The action of `river cache`, checked. */
export function cacheAction(value: string | undefined): CacheAction {
  const action = CACHE_ACTIONS.find((known) => known === value);
  if (action === undefined) {
    const given = value === undefined ? '' : `, not '${value}'`;
    throw new UsageError(
      `river cache takes ${CACHE_ACTIONS.join(', ')}${given}.`,
    );
  }
  return action;
}

/**
 * The `--scope` option of `river cache`: `trusted`, or an untrusted run's
 * scope by its name (`pr-1234`) or as listed (`untrusted.pr-1234`).
 */
export function scopeOption(value: string | undefined): string | undefined {
  if (value === undefined || value === TRUSTED_SCOPE) {
    return value;
  }
  const name = value.replace(/^untrusted\./, '');
  if (!cacheScope.Check(name)) {
    throw new UsageError(
      `--scope takes ${TRUSTED_SCOPE} or an untrusted run's scope (such ` +
        `as pr-1234 or untrusted.pr-1234), not '${value}'.`,
    );
  }
  return untrustedScopeOf(name);
}

/** Bytes in a unit of `--max-bytes`. */
const BYTE_UNITS: Record<string, number> = {
  '': 1,
  k: 1_024,
  m: 1_024 ** 2,
  g: 1_024 ** 3,
  t: 1_024 ** 4,
};

/** A size in bytes: a whole number, optionally with K, M, G or T (1024s). */
export function byteSizeOption(
  value: string | undefined,
  option: string,
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const match = /^(\d+)([kmgt]?)i?b?$/i.exec(value.trim());
  const unit = BYTE_UNITS[match?.[2]?.toLowerCase() ?? ''];
  if (match?.[1] === undefined || unit === undefined) {
    throw new UsageError(
      `${option} takes a size in bytes such as 500000000 or 500M, ` +
        `not '${value}'.`,
    );
  }
  return Number(match[1]) * unit;
}

/** An option that takes a whole number of 0 or more, checked. */
export function countOption(
  value: string | undefined,
  option: string,
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`${option} takes a whole number of 0 or more.`);
  }
  return Number(value);
}

/** The options of `river cache` as given, before they are checked. */
export interface CacheValues {
  json: boolean;
  all: boolean;
  scope?: string | undefined;
  'max-bytes'?: string | undefined;
  'blob-min-age-days'?: string | undefined;
}

/**
 * The arguments of `river cache <action> [key-prefix]`, checked: a key
 * prefix, `--scope` and `--all` go with `rm` (`--all` alone), the sizes
 * with `prune`.
 */
export function cacheOptions(
  action: CacheAction,
  keyPrefix: string | undefined,
  values: CacheValues,
): CacheOptions {
  const misplaced = [
    action !== 'rm' && keyPrefix !== undefined ? 'key prefix' : '',
    action !== 'rm' && values.all ? '--all' : '',
    action !== 'rm' && values.scope !== undefined ? '--scope' : '',
    action !== 'prune' && values['max-bytes'] !== undefined
      ? '--max-bytes'
      : '',
    action !== 'prune' && values['blob-min-age-days'] !== undefined
      ? '--blob-min-age-days'
      : '',
  ].filter((what) => what !== '');
  if (misplaced.length > 0) {
    throw new UsageError(
      `river cache ${action} takes no ${misplaced.join(', ')}.`,
    );
  }
  if (action === 'rm') {
    checkRemoval(keyPrefix, values);
  }
  return {
    json: values.json,
    selection: {
      keyPrefix: keyPrefix?.toLowerCase(),
      scope: scopeOption(values.scope),
      all: values.all,
    },
    maxBytes: byteSizeOption(values['max-bytes'], '--max-bytes'),
    blobMinAgeDays: countOption(
      values['blob-min-age-days'],
      '--blob-min-age-days',
    ),
  };
}

/** What `river cache rm` deletes: a key prefix, a scope, or `--all`. */
function checkRemoval(keyPrefix: string | undefined, values: CacheValues) {
  if (values.all && (keyPrefix !== undefined || values.scope !== undefined)) {
    throw new UsageError(
      'river cache rm --all deletes every entry: give it without a key ' +
        'prefix or --scope.',
    );
  }
  if (!values.all && keyPrefix === undefined && values.scope === undefined) {
    throw new UsageError(
      'river cache rm needs a key prefix (as river cache ls shows), ' +
        '--scope or --all.',
    );
  }
  if (keyPrefix !== undefined && !/^[0-9a-f]{1,64}$/i.test(keyPrefix)) {
    throw new UsageError(
      `river cache rm takes a cache key's first hex digits, as river ` +
        `cache ls shows them, not '${keyPrefix}'.`,
    );
  }
}
