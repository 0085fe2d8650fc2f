import { TOKEN_PATTERN } from '@river/protocol';
import { HttpError } from './respond.js';

/** Bounds and default of a whole-number query parameter. */
export interface IntegerBounds {
  min: number;
  max: number;
  default?: number;
}

/**
 * A whole-number query parameter, or its default.
 *
 * @throws HttpError 400 naming the parameter, its bounds and the value.
 */
export function integerParam(
  url: URL,
  name: string,
  bounds: IntegerBounds,
): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null || text === '') {
    return bounds.default;
  }
  const value = Number(text);
  if (
    !/^-?\d+$/.test(text) ||
    !Number.isSafeInteger(value) ||
    value < bounds.min ||
    value > bounds.max
  ) {
    throw new HttpError(
      400,
      `${name} must be a whole number from ${bounds.min} to ${bounds.max}; ` +
        `it was ${JSON.stringify(text.slice(0, 40))}.`,
    );
  }
  return value;
}

/**
 * The longest run or task id the API takes. Real ids are far shorter; an
 * id goes into NATS subjects, and one of thousands of characters makes
 * the server close the gateway's connection (its control line is 4 KiB).
 */
export const MAX_ID_LENGTH = 1_000;

/**
 * A run or task id from the path, percent-encoded.
 *
 * @throws HttpError 400 when its percent-encoding is malformed, or it is
 *   no id (see {@link checkedId}).
 */
export function idParam(text: string, what: 'run' | 'task'): string {
  let id: string;
  try {
    id = decodeURIComponent(text);
  } catch {
    throw new HttpError(
      400,
      `${JSON.stringify(text.slice(0, 80))} is not a ${what} id: its ` +
        'percent-encoding is malformed.',
    );
  }
  return checkedId(id, what);
}

/**
 * `id` when it can be a run or task id.
 *
 * @throws HttpError 400 when it is not one subject token of at most
 *   {@link MAX_ID_LENGTH} characters.
 */
export function checkedId(id: string, what: 'run' | 'task'): string {
  if (id.length > MAX_ID_LENGTH) {
    throw new HttpError(
      400,
      `The ${what} id ${JSON.stringify(`${id.slice(0, 40)}…`)} holds ` +
        `${id.length} characters; ids hold at most ${MAX_ID_LENGTH}.`,
    );
  }
  if (!TOKEN_PATTERN.test(id)) {
    throw new HttpError(
      400,
      `${JSON.stringify(id.slice(0, 80))} is not a ${what} id: ids hold ` +
        "letters, digits, '-' and '_'.",
    );
  }
  return id;
}
