import type { ConcurrencyLimit } from '@river/protocol';
import { DefinitionError } from './errors.js';

/** The lowest and highest priority a run or task may have. */
export const PRIORITY_RANGE = { min: -1000, max: 1000 } as const;

const WORD_PATTERN = /^[A-Za-z0-9_-]+$/;

/** The most labels a task may ask for, and the longest label. */
const MAX_LABELS = 16;
const MAX_LABEL_LENGTH = 64;
const MAX_KEY_LENGTH = 128;

/**
 * The labels a task asks for, checked: a list of words (letters, digits,
 * `-` and `_`) of up to 64 characters, at most 16.
 *
 * @throws DefinitionError naming `where` and the label at fault.
 */
export function checkLabels(
  labels: unknown,
  where: string,
): string[] | undefined {
  if (labels === undefined) {
    return undefined;
  }
  if (!Array.isArray(labels)) {
    throw new DefinitionError(
      `${where} labels must be a list such as ['gcc'], not ` +
        `${JSON.stringify(labels)}.`,
    );
  }
  if (labels.length > MAX_LABELS) {
    throw new DefinitionError(
      `${where} asks for ${labels.length} labels; at most ${MAX_LABELS}.`,
    );
  }
  for (const label of labels) {
    if (
      typeof label !== 'string' ||
      !WORD_PATTERN.test(label) ||
      label.length > MAX_LABEL_LENGTH
    ) {
      throw new DefinitionError(
        `${where} label ${JSON.stringify(label)} must be a word of letters, ` +
          `digits, '-' and '_', at most ${MAX_LABEL_LENGTH} characters.`,
      );
    }
  }
  return [...labels];
}

/**
 * Refuses a priority that is not a whole number in
 * {@link PRIORITY_RANGE}, naming `what` had it.
 */
export function checkPriority(value: unknown, what: string): void {
  if (value === undefined) {
    return;
  }
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < PRIORITY_RANGE.min ||
    value > PRIORITY_RANGE.max
  ) {
    throw new DefinitionError(
      `${what} must be a whole number from ${PRIORITY_RANGE.min} to ` +
        `${PRIORITY_RANGE.max}; it was ${JSON.stringify(value)}.`,
    );
  }
}

/** A concurrency limit as authors write it: a key (at most 1), or both. */
export type ConcurrencySetting =
  | string
  | ConcurrencyLimit
  | readonly (string | ConcurrencyLimit)[];

/**
 * The limits a task counts against, from what its author wrote: a key
 * alone means at most one at a time.
 *
 * @throws DefinitionError naming `where` and what is wrong.
 */
export function concurrencyLimits(
  setting: ConcurrencySetting | undefined,
  where: string,
): ConcurrencyLimit[] | undefined {
  if (setting === undefined) {
    return undefined;
  }
  const items = Array.isArray(setting) ? setting : [setting];
  const limits = items.map((item: unknown) => {
    const limit =
      typeof item === 'string'
        ? { key: item, max: 1 }
        : (item as ConcurrencyLimit);
    const { key, max } = limit ?? {};
    if (
      typeof key !== 'string' ||
      !WORD_PATTERN.test(key) ||
      key.length > MAX_KEY_LENGTH
    ) {
      throw new DefinitionError(
        `${where} concurrency key ${JSON.stringify(key)} may only hold ` +
          `letters, digits, '-' and '_', at most ${MAX_KEY_LENGTH} of them.`,
      );
    }
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
      throw new DefinitionError(
        `${where} concurrency limit ${key} needs max, a whole number of ` +
          `1 or more; it was ${JSON.stringify(max)}.`,
      );
    }
    return { key, max };
  });
  const keys = new Set(limits.map((limit) => limit.key));
  if (keys.size !== limits.length) {
    throw new DefinitionError(`${where} names a concurrency key twice.`);
  }
  if (limits.length > 8) {
    throw new DefinitionError(`${where} has more than 8 concurrency limits.`);
  }
  return limits;
}
