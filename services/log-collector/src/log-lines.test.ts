import {
  Buckets,
  type LogChunk,
  type LogQuery,
  type LogQueryReply,
  SCHEMA_VERSION,
} from '@river/protocol';
import type { Logger, RiverConnection } from '@river/protocol/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CollectorStack,
  chunk,
  indexEntryWhen,
  publishChunks,
  queryLogs,
  startCollectorStack,
} from '../test/helpers.js';
import { LogIndexStore, type StoredIndexEntry } from './index-store.js';
import { readLogLines } from './log-lines.js';
import { StreamReader } from './stream-reader.js';

let stack: CollectorStack;
let river: RiverConnection;
let log: Logger;

beforeAll(async () => {
  stack = await startCollectorStack('lines-test');
  ({ river, log } = stack);
});

afterAll(() => stack?.stop());

const encoder = new TextEncoder();

/**
 * About 250 KiB of output in chunks of 1 to 9 KB that end mid-line and
 * mid-character, stdout and stderr taking turns, the last line without
 * "\n"; returns the chunks and the output's lines.
 */
function interleavedOutput(runId: string, taskId: string, attempt = 1) {
  const text = Array.from(
    { length: 5_000 },
    (_, index) =>
      `${index + 1}: stdout and stderr, é ü 漢 ${'x'.repeat(index % 40)}`,
  ).join('\n');
  const bytes = encoder.encode(`${text}`);
  const chunks: LogChunk[] = [];
  for (let at = 0, seq = 0; at < bytes.length; seq++) {
    const size = 1_000 + ((seq * 3_571) % 8_000);
    chunks.push(
      chunk(runId, taskId, seq, bytes.subarray(at, at + size), {
        stream: seq % 2 === 0 ? 'stdout' : 'stderr',
        attempt,
      }),
    );
    at += size;
  }
  const last = chunks.at(-1);
  if (last !== undefined) {
    last.last = true;
  }
  return { chunks, lines: text.split('\n') };
}

function lineQuery(runId: string, taskId: string, fields: object) {
  return queryLogs(river.nc, { runId, taskId, ...fields });
}

describe('log lines', () => {
  const { chunks, lines } = interleavedOutput('run-lines', 'build-0');

  beforeAll(async () => {
    await publishChunks(river, chunks);
    await indexEntryWhen(river, 'run-lines.build-0.1', (e) => e.complete);
  });

  it('has line marks in the index across both outputs', async () => {
    const entry = await indexEntryWhen(
      river,
      'run-lines.build-0.1',
      () => true,
    );
    expect(entry?.lines).toBe(lines.length - 1);
    expect(entry?.openLine).toBe(true);
    expect(entry?.lineMarks?.length).toBeGreaterThan(3);
    expect(entry?.lineMarks?.[0]?.line).toBe(0);
  });

  it('reads lines at the start, in the middle and at the end', async () => {
    const start = await lineQuery('run-lines', 'build-0', {
      line: 1,
      lines: 10,
    });
    expect(start).toMatchObject({
      firstLine: 1,
      totalLines: 5_000,
      attempt: 1,
      complete: true,
      chunks: [],
    });
    expect(start.lines).toEqual(lines.slice(0, 10));

    for (const line of [777, 2_345, 3_001, 4_321]) {
      const middle = await lineQuery('run-lines', 'build-0', {
        line,
        lines: 333,
      });
      expect(middle.firstLine).toBe(line);
      expect(middle.lines).toEqual(lines.slice(line - 1, line - 1 + 333));
    }

    // The last line has no "\n" and is returned and counted.
    const end = await lineQuery('run-lines', 'build-0', { line: 4_990 });
    expect(end.lines).toEqual(lines.slice(4_989));
    expect(end.lines?.at(-1)).toBe(lines[4_999]);
    expect(end.totalLines).toBe(5_000);

    const past = await lineQuery('run-lines', 'build-0', { line: 6_000 });
    expect(past).toMatchObject({
      lines: [],
      firstLine: 6_000,
      totalLines: 5_000,
    });

    const byDefault = await lineQuery('run-lines', 'build-0', { line: 2_000 });
    expect(byDefault.lines).toHaveLength(1_000);
  });

  it('reads a line whole when a marked chunk starts in its middle', async () => {
    const entry = await indexEntryWhen(
      river,
      'run-lines.build-0.1',
      () => true,
    );
    for (const mark of entry?.lineMarks ?? []) {
      for (const line of [mark.line, mark.line + 1, mark.line + 2]) {
        const reply = await lineQuery('run-lines', 'build-0', {
          line: Math.max(line, 1),
          lines: 2,
        });
        expect(reply.lines).toEqual(
          lines.slice(Math.max(line, 1) - 1, Math.max(line, 1) + 1),
        );
      }
    }
  });

  it('reads the last lines with tail', async () => {
    const tail = await lineQuery('run-lines', 'build-0', { tail: 25 });
    expect(tail.firstLine).toBe(4_976);
    expect(tail.lines).toEqual(lines.slice(-25));
    expect(tail.totalLines).toBe(5_000);

    const all = await lineQuery('run-lines', 'build-0', { tail: 5_000 });
    expect(all.firstLine).toBe(1);
    expect(all.lines).toEqual(lines);
  });

  it('reads an entry indexed before lines were counted from the start', async () => {
    class OldStore extends LogIndexStore {
      override async read(key: string): Promise<StoredIndexEntry | undefined> {
        const found = await super.read(key);
        if (found === undefined) {
          return undefined;
        }
        const { lines: _lines, openLine, lineMarks, ...entry } = found.entry;
        return { ...found, entry };
      }
    }
    const store = new OldStore(await river.kvm.open(Buckets.logIndex));
    const reader = new StreamReader(river.nc);
    const query: LogQuery & { taskId: string } = {
      schema: SCHEMA_VERSION,
      runId: 'run-lines',
      taskId: 'build-0',
    };
    const middle = await readLogLines(
      reader,
      store,
      { ...query, line: 2_500, lines: 10 },
      log,
    );
    expect(middle).toMatchObject({ firstLine: 2_500, totalLines: 5_000 });
    expect(middle.lines).toEqual(lines.slice(2_499, 2_509));
    const tail = await readLogLines(reader, store, { ...query, tail: 3 }, log);
    expect(tail).toMatchObject({ firstLine: 4_998, totalLines: 5_000 });
    expect(tail.lines).toEqual(lines.slice(-3));
  });

  it('keeps escape sequences, carriage returns and bytes that are not UTF-8', async () => {
    const raw = Buffer.concat([
      Buffer.from('\x1b[31mred\x1b[0m\r\n10%\r100%\r\n'),
      Buffer.from([0x62, 0xff, 0x61, 0x0a, 0xe6, 0xbc]),
    ]);
    await publishChunks(river, [
      chunk('run-raw', 'task-0', 0, raw.subarray(0, 20)),
      chunk('run-raw', 'task-0', 1, raw.subarray(20), { last: true }),
    ]);
    await indexEntryWhen(river, 'run-raw.task-0.1', (e) => e.complete);
    const reply = await lineQuery('run-raw', 'task-0', { line: 1 });
    expect(reply.lines).toEqual([
      '\x1b[31mred\x1b[0m\r',
      '10%\r100%\r',
      'b\ufffda',
      '\ufffd',
    ]);
    expect(reply.totalLines).toBe(4);
  });

  it('keeps a reply under 512 KiB of text and lets the client ask on', async () => {
    const long = `${'y'.repeat(99_999)}\n`;
    // Line 9 takes 11 chunks, each of them marked.
    const wide = Array.from({ length: 11 }, (_, seq) =>
      chunk('run-wide', 'task-0', seq + 1, encoder.encode('z'.repeat(65_536))),
    );
    await publishChunks(river, [
      chunk('run-wide', 'task-0', 0, encoder.encode(long.repeat(8))),
      ...wide,
      chunk('run-wide', 'task-0', 12, encoder.encode('\nend'), { last: true }),
    ]);
    await indexEntryWhen(river, 'run-wide.task-0.1', (e) => e.complete);
    const first = await lineQuery('run-wide', 'task-0', { line: 1 });
    expect(first.lines).toHaveLength(5);
    expect(first.totalLines).toBe(10);
    const next = await lineQuery('run-wide', 'task-0', { line: 6 });
    expect(next.lines).toHaveLength(3);
    // A line longer than a reply is cut to fit.
    const cut = await lineQuery('run-wide', 'task-0', { line: 9 });
    expect(cut.lines?.[0]).toBe('z'.repeat(512 * 1024));
    expect(cut.lines).toHaveLength(1);
    const tail = await lineQuery('run-wide', 'task-0', { tail: 3 });
    expect(tail).toMatchObject({ firstLine: 10, lines: ['end'] });
  });

  it('reads the asked attempt, the last one by default', async () => {
    const first = interleavedOutput('run-retry', 'test-0', 1);
    const second = ['attempt 2 says hi', 'and bye'];
    const retry = [
      chunk('run-retry', 'test-0', 0, encoder.encode(`${second[0]}\n`), {
        attempt: 2,
      }),
      chunk('run-retry', 'test-0', 1, encoder.encode(`${second[1]}\n`), {
        attempt: 2,
        stream: 'stderr',
        last: true,
      }),
    ];
    // Attempt 2 starts before attempt 1's last chunks are stored.
    await publishChunks(river, [
      ...first.chunks.slice(0, 10),
      ...retry,
      ...first.chunks.slice(10),
    ]);
    await indexEntryWhen(river, 'run-retry.test-0.1', (e) => e.complete);
    await indexEntryWhen(river, 'run-retry.test-0.2', (e) => e.complete);

    const last = await lineQuery('run-retry', 'test-0', { line: 1 });
    expect(last).toMatchObject({ attempt: 2, lines: second, totalLines: 2 });
    const one = await lineQuery('run-retry', 'test-0', {
      attempt: 1,
      tail: 2,
    });
    expect(one.lines).toEqual(first.lines.slice(-2));
    const search = await lineQuery('run-retry', 'test-0', { search: 'SAYS' });
    expect(search).toMatchObject({ attempt: 2, hits: 1, hitLines: [1] });
  });

  it('answers a task without a log with no lines', async () => {
    expect(await lineQuery('run-none', 'task-0', { line: 1 })).toEqual({
      schema: 1,
      chunks: [],
      lines: [],
      firstLine: 1,
      totalLines: 0,
      complete: false,
    });
    const search = await lineQuery('run-none', 'task-0', { search: 'x' });
    expect(search).toMatchObject({ hits: 0, hitLines: [], totalLines: 0 });
  });
});

describe('log search', () => {
  const output = [
    'plain error here',
    '\x1b[1;31mERROR\x1b[0m: coloured',
    'split by style: ER\x1b[4mR\x1b[24mOR',
    'error error error, twice ErRoR',
    'progress error\rdone',
    'error 10%\rok',
    '\x1b]0;error in a title\x07nothing visible',
    'aaaa',
    'crlf error\r',
    'no match',
    'last line error',
  ];

  beforeAll(async () => {
    const bytes = encoder.encode(output.join('\n'));
    await publishChunks(river, [
      chunk('run-search', 'task-0', 0, bytes.subarray(0, 45)),
      chunk('run-search', 'task-0', 1, bytes.subarray(45, 90), {
        stream: 'stderr',
      }),
      chunk('run-search', 'task-0', 2, bytes.subarray(90), { last: true }),
    ]);
    await indexEntryWhen(river, 'run-search.task-0.1', (e) => e.complete);
  });

  const search = (fields: object): Promise<LogQueryReply> =>
    lineQuery('run-search', 'task-0', fields);

  it('counts every occurrence in the text a terminal shows', async () => {
    expect(await search({ search: 'error' })).toEqual({
      schema: 1,
      chunks: [],
      hits: 10,
      matchingLines: 7,
      hitLines: [1, 2, 3, 4, 5, 9, 11],
      totalLines: 11,
      attempt: 1,
      complete: true,
    });
  });

  it('matches case exactly when asked, and lists at most maxHits lines', async () => {
    expect(
      await search({ search: 'ERROR', caseSensitive: true, maxHits: 1 }),
    ).toMatchObject({ hits: 2, matchingLines: 2, hitLines: [2] });
    expect(await search({ search: 'aa' })).toMatchObject({
      hits: 2,
      hitLines: [8],
    });
    expect(await search({ search: 'one\ntwo' })).toMatchObject({
      hits: 0,
      hitLines: [],
    });
    expect(await search({ search: 'doneress' })).toMatchObject({
      hits: 1,
      hitLines: [5],
    });
  });
});

describe('line queries that cannot be answered', () => {
  it('get an error that names the field', async () => {
    const cases: Array<[object, RegExp]> = [
      [{ line: 1 }, /taskId/],
      [
        { taskId: 'task-0', line: 1, offset: 0 },
        /offset cannot be combined with line/,
      ],
      [
        { taskId: 'task-0', tail: 1, search: 'x' },
        /search cannot be combined with tail/,
      ],
      [
        { taskId: 'task-0', line: 1, stream: 'stdout' },
        /stream does not apply/,
      ],
      [{ taskId: 'task-0', search: 'x', after: 3 }, /after does not apply/],
      [{ taskId: 'task-0', lines: 5 }, /lines applies only to a line query/],
      [{ taskId: 'task-0', tail: 5, lines: 5 }, /lines applies only/],
      [{ taskId: 'task-0', line: 1, maxHits: 5 }, /maxHits applies only/],
      [{ taskId: 'task-0', line: 1, lines: 5_001 }, /\/lines/],
      [{ taskId: 'task-0', line: 0 }, /\/line/],
      [{ taskId: 'task-0', tail: 0 }, /\/tail/],
      [{ taskId: 'task-0', search: '' }, /\/search/],
      [{ taskId: 'task-0', search: 'x'.repeat(201) }, /\/search/],
      [{ taskId: 'task-0', search: 'x', maxHits: 10_001 }, /\/maxHits/],
    ];
    for (const [fields, error] of cases) {
      const reply = await queryLogs(river.nc, {
        runId: 'run-search',
        ...fields,
      });
      expect(reply.error, JSON.stringify(fields)).toMatch(error);
      expect(reply.lines).toBeUndefined();
    }
  });
});
