import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { embeddedRoleEnv, type LocalStack } from '@river/cli';
import { encode, type RunEvent } from '@river/protocol';
import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsOf, runHistory } from '../helpers/nats-cluster.js';
import { REPO_ROOT, river, startTestStack } from '../helpers/river.js';

const CLI = join(REPO_ROOT, 'packages/cli/dist/main.js');
const ONE_MB = 1024 * 1024;
const LONG_LINE = `${'a'.repeat(5_000_000)}\n`;
const LAST_LINE = 'tail without newline';

let stack: LocalStack;
let connection: RiverConnection;
let client: RiverClient;
let runId: string;
let history: RunEvent[];

/** What `river` wrote on stdout, as bytes, and how it exited. */
function riverBytes(
  args: string[],
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NATS_URL: stack.natsUrl,
        ...embeddedRoleEnv(stack.natsUrl, 'sdk'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => out.push(data));
    child.stderr.on('data', (data) => {
      stderr += data;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      resolve({ code, stdout: Buffer.concat(out), stderr }),
    );
  });
}

beforeAll(async () => {
  stack = await startTestStack();
  connection = await connectRiver({ servers: stack.natsUrl, name: 'test' });
  client = await RiverClient.connect({ servers: stack.natsUrl });
  ({ runId } = await client.submit('tests/fixtures/logs-big.ts'));
  history = await runHistory(connection, runId, 90_000);
}, 120_000);

afterAll(async () => {
  await client?.close();
  await connection?.nc.close();
  await stack?.stop();
});

describe('output that is large, long-lined or not UTF-8', () => {
  it('completes normally against a server whose max_payload is 1 MB', () => {
    expect(connection.nc.info?.max_payload).toBe(ONE_MB);
    const jobs = new Map(
      eventsOf(history, 'job.finished').map((e) => [e.job, e.status]),
    );
    expect(Object.fromEntries(jobs)).toEqual({
      loud: 'succeeded',
      after: 'succeeded',
      breaks: 'failed',
      throws: 'failed',
    });
    const logged = eventsOf(history, 'job.log').map((e) => e.message);
    expect(logged).toContain('upstream value 2000000 characters');
    // Every stored event fits the server, with room to spare.
    for (const event of history) {
      expect(encode('event', event).length).toBeLessThan(ONE_MB / 2 + 1);
    }
  });

  it('has a 2 MB error cut to fit, with a mark, instead of lost', () => {
    const throws = eventsOf(history, 'job.finished').find(
      (e) => e.job === 'throws',
    );
    expect(throws?.error).toMatch(/^big e+… \[\d+ bytes cut to fit a NATS/);
    expect(throws?.error?.length).toBeGreaterThan(100_000);
  });

  it('keeps the end of an outcome tail whose bytes are not UTF-8', () => {
    const breaks = eventsOf(history, 'task.finished').find(
      (e) => e.taskId === 'breaks-1',
    );
    // 128 KiB of 0xff become 384 KiB of replacement characters in the
    // result: too much beside the rest, so cut and marked.
    expect(breaks?.outcome.stdoutTruncated).toBe(true);
    expect(breaks?.outcome.stdout).toMatch(/\uFFFD$/);
    expect(breaks?.outcome.exitCode).toBe(4);
  });

  it('stores a 5 MB line, bytes that are not UTF-8 and a last line without newline exactly', async () => {
    const stdout = await riverBytes([
      'logs',
      runId,
      'loud-1',
      '--stream',
      'stdout',
      '--raw',
    ]);
    expect(stdout.code, stdout.stderr).toBe(0);
    expect(stdout.stdout.equals(Buffer.from(LONG_LINE + LAST_LINE))).toBe(true);

    const stderr = await riverBytes([
      'logs',
      runId,
      'loud-1',
      '--stream',
      'stderr',
      '--raw',
    ]);
    expect(stderr.stdout.equals(Buffer.alloc(200_000, 0xff))).toBe(true);

    const raw = await riverBytes(['logs', runId, 'after-1', '--raw']);
    expect([...raw.stdout]).toEqual([
      ...Buffer.from('pr\xff\xfeef\n', 'latin1'),
    ]);
  });

  it('shows bytes that are not UTF-8 as replacement characters by default', async () => {
    const text = await river(['logs', runId, 'after-1'], stack.natsUrl);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe('pr\uFFFD\uFFFDef\n');
  });

  it('serves a byte range from the index, reading from the mark before it', async () => {
    const range = await client.logRange(runId, 'loud-1', {
      offset: 4_999_990,
      length: 40,
    });
    expect(Buffer.from(range.data).toString()).toBe(
      `${'a'.repeat(10)}\n${LAST_LINE}`,
    );
    expect(range).toMatchObject({
      offset: 4_999_990,
      size: LONG_LINE.length + LAST_LINE.length,
      attempt: 1,
      complete: true,
    });

    const stderr = await client.logRange(runId, 'loud-1', {
      offset: 199_998,
      length: 100,
      stream: 'stderr',
    });
    expect([...stderr.data]).toEqual([0xff, 0xff]);

    // The collector started near the offset: the chunks of the 64 KiB
    // before it at most, out of the 80 or more that hold the line.
    const collectorLog = await readFile(
      join(stack.logDir, 'log-collector.log'),
      'utf8',
    );
    const reads = collectorLog
      .split('\n')
      .filter((line) => line.includes('"msg":"Read log range"'))
      .map(
        (line) =>
          JSON.parse(line) as {
            offset: number;
            chunksRead: number;
            fromStreamSeq: number;
          },
      );
    const read = reads.find((entry) => entry.offset === 4_999_990);
    expect(read?.chunksRead, JSON.stringify(read)).toBeLessThanOrEqual(20);
    expect(read?.fromStreamSeq).toBeGreaterThan(70);
  });

  it('serves lines and counts text by lines, both outputs interleaved', async () => {
    const after = await client.logLines(runId, 'after-1');
    expect(after).toEqual({
      lines: ['pr\uFFFD\uFFFDef'],
      firstLine: 1,
      totalLines: 1,
      attempt: 1,
      complete: true,
    });

    // The 5 MB line comes cut to what one reply holds; the last line
    // has no newline and is counted. The stderr bytes, without newline,
    // fall into whichever line was being written when they were stored
    // (and take 600 KB as replacement characters, so that line is cut).
    const loud = await client.logLines(runId, 'loud-1', { tail: 1 });
    expect(loud).toMatchObject({ firstLine: 2, totalLines: 2 });
    expect(loud.lines).toHaveLength(1);
    const first = await client.logLines(runId, 'loud-1', { count: 1 });
    expect(first.lines[0]?.startsWith('a'.repeat(1_000))).toBe(true);
    expect(Buffer.byteLength(first.lines[0] ?? '')).toBeGreaterThan(500_000);

    const found = await client.searchLog(runId, 'loud-1', 'TAIL WITHOUT');
    expect(found).toMatchObject({ hits: 1, matchingLines: 1, hitLines: [2] });
    await expect(
      client.logLines(runId, 'loud-1', { tail: 1, count: 5 }),
    ).rejects.toThrow(/lines applies only to a line query/);
  });

  it('reports the storage the logs take, in all and for the run', async () => {
    const usage = await client.logUsage(runId);
    const output = LONG_LINE.length + LAST_LINE.length + 200_000 + 7 + 300_000;
    expect(usage.run.bytes).toBe(output);
    expect(usage.attempts).toBe(3);
    expect(usage.run.messages).toBeGreaterThan(80);
    expect(usage.logs.bytes).toBeGreaterThan(output);
    expect(usage.index.messages).toBeGreaterThanOrEqual(3);
    expect(usage.retentionDays).toBe(30);

    const printed = await river(['logs', runId, '--usage'], stack.natsUrl);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(
      /^logs stream: \d+ chunks, \d+ bytes \(kept 30 days\)$/m,
    );
    expect(printed.stdout).toContain(
      `${output} bytes of output, 3 task attempts`,
    );
  });
});
