import type { LogQuery } from '@river/protocol';

/** Why a line, tail or search query cannot be answered. */
export class LineQueryError extends Error {}

/** The kinds of query that exclude each other, in the order checked. */
const KINDS = ['line', 'tail', 'search', 'offset', 'usage'] as const;

/** Page and range fields that say nothing to a query by lines. */
const PAGE_FIELDS = [
  'after',
  'maxBytes',
  'stream',
  'since',
  'length',
  'waitMs',
] as const;

/** Fields that belong to one kind of query only. */
const OWN_FIELDS = [
  ['lines', 'line'],
  ['caseSensitive', 'search'],
  ['maxHits', 'search'],
] as const;

/** Which query by lines `query` is, if any. */
export type LineQueryKind = 'line' | 'tail' | 'search';

/**
 * The kind of a query by lines (`line`, `tail` or `search`), or
 * `undefined` for a page, range or usage query.
 *
 * @throws LineQueryError naming the field when the query mixes kinds,
 *   names no task, or sets a field that its kind does not take.
 */
export function lineQueryKind(query: LogQuery): LineQueryKind | undefined {
  const kinds = KINDS.filter(
    (kind) => query[kind] !== undefined && query[kind] !== false,
  );
  const [kind, other] = kinds;
  // Page, range and usage fields mixed as before are answered as before.
  const byLines = kinds.some(
    (found) => found === 'line' || found === 'tail' || found === 'search',
  );
  if (byLines && other !== undefined) {
    throw new LineQueryError(
      `A log query asks for one thing: ${other} cannot be combined with ` +
        `${kind}; leave one out.`,
    );
  }
  for (const [field, owner] of OWN_FIELDS) {
    if (query[field] !== undefined && kind !== owner) {
      throw new LineQueryError(
        `${field} applies only to a ${owner} query: set ${owner} or ` +
          `leave ${field} out.`,
      );
    }
  }
  if (kind !== 'line' && kind !== 'tail' && kind !== 'search') {
    return undefined;
  }

  if (query.taskId === undefined) {
    throw new LineQueryError(`A ${kind} query must name a task: set taskId.`);
  }
  const pageField = PAGE_FIELDS.find((field) => query[field] !== undefined);
  if (pageField !== undefined) {
    throw new LineQueryError(
      `${pageField} does not apply to a ${kind} query, which reads both ` +
        `outputs by lines: leave ${pageField} out.`,
    );
  }
  return kind;
}
