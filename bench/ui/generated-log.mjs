/**
 * A large task log for measuring the log viewer: plain lines, coloured
 * test results, carriage-return progress lines; `needle` on every
 * 1,000th line (twice on every 5,000th).
 */

/** `count` lines (about 50 bytes each) and their size in bytes. */
export function generateLog(count) {
  const lines = new Array(count);
  let bytes = 0;
  for (let number = 1; number <= count; number++) {
    const line = makeLine(number);
    lines[number - 1] = line;
    bytes += line.length + 1;
  }
  return { lines, bytes };
}

/** How many times `needle` occurs in the first `count` lines. */
export function needleHits(count) {
  return Math.floor(count / 1_000) + Math.floor(count / 5_000);
}

function makeLine(number) {
  const worker = `worker-${number % 8}`;
  const id = ((number * 2_654_435_761) >>> 0).toString(16).padStart(8, '0');
  if (number % 5_000 === 0) {
    return `[${worker}] needle found twice: needle at item ${id}`;
  }
  if (number % 1_000 === 0) {
    return `[${worker}] a needle in the haystack at item ${id} line ${number}`;
  }
  if (number % 97 === 0) {
    return `progress  10%\rprogress  55%\rprogress 100% item ${id} done (${worker})`;
  }
  if (number % 7 === 0) {
    return `\x1b[32mPASS\x1b[0m \x1b[1mtest/${id}.spec.ts\x1b[0m (${worker}) \x1b[2m${number % 900} ms\x1b[0m`;
  }
  return `[${worker}] step ${number}: processed item ${id} ok`;
}
