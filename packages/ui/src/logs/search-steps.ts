/** Stepping through the lines a search listed. */

/**
 * The index in `lines` (ascending hit lines) to stand on after a step in
 * `direction` from `current`, wrapping around; the first step goes to
 * the first hit at or after `fromLine` (going down) or at or before it
 * (going up).
 */
export function nextHitIndex(
  lines: readonly number[],
  current: number | undefined,
  direction: 1 | -1,
  fromLine: number,
): number {
  const count = lines.length;
  if (current !== undefined) {
    return (current + direction + count) % count;
  }
  if (direction === 1) {
    const at = lines.findIndex((line) => line >= fromLine);
    return at === -1 ? 0 : at;
  }
  const before = lines.findLastIndex((line) => line <= fromLine);
  return before === -1 ? count - 1 : before;
}
