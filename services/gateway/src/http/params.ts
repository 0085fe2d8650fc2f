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
 * A run or task id from the path.
 *
 * @throws HttpError 400 when it is not one subject token.
 */
export function idParam(text: string, what: 'run' | 'task'): string {
  const id = decodeURIComponent(text);
  if (!TOKEN_PATTERN.test(id)) {
    throw new HttpError(
      400,
      `${JSON.stringify(id.slice(0, 80))} is not a ${what} id: ids hold ` +
        "letters, digits, '-' and '_'.",
    );
  }
  return id;
}
