import { performance } from 'node:perf_hooks';
import type { LogChunk } from '@river/protocol';
import type { RiverConnection } from '@river/protocol/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectorStack,
  chunk,
  indexEntry,
  publishChunks,
  queryLogs,
  startCollectorStack,
} from '../test/helpers.js';

const LINES = 1_000_000;
const CHUNK_BYTES = 64 * 1024;
const RUN = 'run-large';
const TASK = 'bigtest-0';

/**
 * Line `line` (from 1) of the log: about 50 bytes, every 7th coloured,
 * every 3rd ending in "\r" (CRLF), every 1,000th holding "Needle", every
 * 250,000th a second one split by escape sequences, and every 100,000th
 * starting with a "needle" that a carriage return overwrites.
 */
function logLine(line: number): string {
  const status = line % 7 === 0 ? '\x1b[32mok\x1b[0m' : 'ok';
  const word = line % 1_000 === 0 ? 'Needle' : 'filler';
  const second = line % 250_000 === 0 ? ' \x1b[31mNEE\x1b[0mDLE' : '';
  const hidden = line % 100_000 === 1 ? 'needle\r' : '';
  const end = line % 3 === 0 ? '\r' : '';
  const number = String(line).padStart(7, '0');
  return `${hidden}step ${number} ${status} ${word} ${'-'.repeat(26)}${second}${end}`;
}

/** 1,000 hits of "Needle" and 4 more split by escape sequences. */
const NEEDLES = 1_004;

let stack: CollectorStack;
let river: RiverConnection;

beforeAll(async () => {
  stack = await startCollectorStack('large-test');
  river = stack.river;
});

afterAll(() => stack?.stop());

async function timed<T>(read: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await read();
  return [value, performance.now() - started];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

describe('a 50 MB log', () => {
  it('answers a line in the middle, the tail and a search exactly and fast', async () => {
    const blocks: Buffer[] = [];
    for (let first = 1; first <= LINES; first += 10_000) {
      const block = [];
      for (let line = first; line < first + 10_000; line++) {
        block.push(logLine(line), '\n');
      }
      blocks.push(Buffer.from(block.join('')));
    }
    const output = Buffer.concat(blocks);
    expect(output.length).toBeGreaterThan(50_000_000);

    // Cut as a sandbox cuts: 64 KiB, wherever lines end.
    const chunks: LogChunk[] = [];
    for (let at = 0; at < output.length; at += CHUNK_BYTES) {
      chunks.push(
        chunk(RUN, TASK, chunks.length, output.subarray(at, at + CHUNK_BYTES)),
      );
    }
    const lastChunk = chunks.at(-1);
    if (lastChunk !== undefined) {
      lastChunk.last = true;
    }
    const [, publishMs] = await timed(() => publishChunks(river, chunks));
    const [entry, indexMs] = await timed(async () => {
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
        const found = await indexEntry(river, `${RUN}.${TASK}.1`);
        if (found?.complete) {
          return found;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return undefined;
    });
    expect(entry?.lines).toBe(LINES);

    const expected = Array.from({ length: 1_000 }, (_, index) =>
      logLine(500_000 + index),
    );
    const lineTimes: number[] = [];
    for (let round = 0; round < 5; round++) {
      const [reply, ms] = await timed(() =>
        queryLogs(river.nc, { runId: RUN, taskId: TASK, line: 500_000 }),
      );
      lineTimes.push(ms);
      expect(reply.firstLine).toBe(500_000);
      expect(reply.totalLines).toBe(LINES);
      expect(reply.lines?.[0]).toBe(logLine(500_000));
      expect(reply.lines).toEqual(expected);
    }

    const [tail, tailMs] = await timed(() =>
      queryLogs(river.nc, { runId: RUN, taskId: TASK, tail: 1_000 }),
    );
    expect(tail.firstLine).toBe(LINES - 999);
    expect(tail.lines?.at(-1)).toBe(logLine(LINES));
    expect(tail.lines).toHaveLength(1_000);

    const [search, searchMs] = await timed(() =>
      queryLogs(river.nc, { runId: RUN, taskId: TASK, search: 'needle' }),
    );
    expect(search).toMatchObject({
      hits: NEEDLES,
      matchingLines: 1_000,
      totalLines: LINES,
      complete: true,
    });
    expect(search.hitLines?.slice(0, 3)).toEqual([1_000, 2_000, 3_000]);
    expect(search.hitLines).toHaveLength(1_000);

    const medianMs = median(lineTimes);
    process.stdout.write(
      `50 MB log (${output.length} bytes, ${chunks.length} chunks): ` +
        `published in ${publishMs.toFixed(0)} ms, indexed ` +
        `${indexMs.toFixed(0)} ms later; line 500,000: median ` +
        `${medianMs.toFixed(1)} ms of ${lineTimes.map((ms) => ms.toFixed(1)).join(', ')}; ` +
        `tail 1,000: ${tailMs.toFixed(1)} ms; search: ${searchMs.toFixed(0)} ms\n`,
    );
    expect(medianMs).toBeLessThan(500);
    expect(searchMs).toBeLessThan(8_000);
  }, 60_000);
});
