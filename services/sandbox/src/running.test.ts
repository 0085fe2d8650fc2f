import { randomInt } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { delay } from '@river/protocol/internal';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOG_CHUNK_MAX_BYTES } from './log-stream.js';
import { CAPTURE_LIMIT_BYTES } from './tail.js';
import {
  type Harness,
  processesMatching,
  sha256,
  startHarness,
} from './testing/harness.js';

let harness: Harness;

beforeAll(async () => {
  process.env.RIVER_TEST_SANDBOX_SECRET = 'must-not-leak';
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
  delete process.env.RIVER_TEST_SANDBOX_SECRET;
});

describe('running a task', () => {
  it('reports exit 0, its duration, captured output and ordered logs', async () => {
    const [dispatch, result] = await harness.run({
      command: 'echo hello; echo oops >&2; sleep 0.2',
    });

    expect(result.runId).toBe(dispatch.runId);
    expect(result.taskId).toBe(dispatch.taskId);
    expect(result.sandboxId).toBe('sandbox-under-test');
    expect(result.outcome).toMatchObject({
      ok: true,
      reason: 'exited',
      exitCode: 0,
      signal: null,
      stdout: 'hello\n',
      stderr: 'oops\n',
      stdoutTruncated: false,
      stderrTruncated: false,
      files: [],
    });
    expect(result.outcome.message).toBeUndefined();
    expect(result.outcome.durationMs).toBeGreaterThanOrEqual(200);
    expect(result.outcome.durationMs).toBeLessThan(10_000);

    const chunks = await harness.logChunks(dispatch);
    expect(chunks.map((chunk) => chunk.seq)).toEqual(
      chunks.map((_, index) => index),
    );
    expect(chunks.map((chunk) => chunk.last)).toEqual(
      chunks.map((_, index) => index === chunks.length - 1),
    );
    const text = (stream: string) =>
      Buffer.concat(
        chunks.filter((chunk) => chunk.stream === stream).map((c) => c.data),
      ).toString();
    expect(text('stdout')).toBe('hello\n');
    expect(text('stderr')).toBe('oops\n');
    expect(chunks.every((chunk) => chunk.attempt === 1)).toBe(true);
  });

  it('announces the attempt with a task started event', async () => {
    const [dispatch] = await harness.run({ command: 'true' });

    const events = await harness.events(dispatch.runId, 'task.started', 1);

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'task.started',
      runId: dispatch.runId,
      taskId: dispatch.taskId,
      attempt: 1,
      sandboxId: 'sandbox-under-test',
    });
  });

  it('reports a non-zero exit code as a failed attempt', async () => {
    const [, result] = await harness.run({ command: 'echo bad >&2; exit 3' });

    expect(result.outcome).toMatchObject({
      ok: false,
      reason: 'exited',
      exitCode: 3,
      signal: null,
      stderr: 'bad\n',
    });
    expect(result.outcome.message).toContain('code 3');
  });

  it('runs an argument vector directly, without a shell', async () => {
    const [, result] = await harness.run({
      command: ['printf', '%s|', 'two words', '$HOME'],
    });

    expect(result.outcome.exitCode).toBe(0);
    expect(result.outcome.stdout).toBe('two words|$HOME|');
  });

  it('reports a missing command in a shell line as command-not-found', async () => {
    const [, result] = await harness.run({
      command: 'no-such-command-4711 --flag',
    });

    expect(result.outcome).toMatchObject({
      ok: false,
      reason: 'command-not-found',
      exitCode: 127,
    });
    expect(result.outcome.message).toContain('no-such-command-4711');
  });

  it('reports a missing program in an argument vector as command-not-found', async () => {
    const [, result] = await harness.run({
      command: ['no-such-program-4711', 'arg'],
    });

    expect(result.outcome).toMatchObject({
      ok: false,
      reason: 'command-not-found',
      exitCode: 127,
      signal: null,
    });
    expect(result.outcome.message).toContain('no-such-program-4711');
  });

  it('reports a program that cannot be executed as spawn-failed', async () => {
    const [, result] = await harness.run({ command: ['/etc/passwd'] });

    expect(result.outcome.reason).toBe('spawn-failed');
    expect(result.outcome.exitCode).toBeNull();
    expect(result.outcome.message).toContain('/etc/passwd');
  });

  it('reports a task killed by a signal with the signal name', async () => {
    const [, result] = await harness.run({ command: 'kill -KILL $$' });

    expect(result.outcome).toMatchObject({
      ok: false,
      reason: 'signaled',
      exitCode: null,
      signal: 'SIGKILL',
    });
  });

  it('kills the whole process tree of a task that exceeds its timeout', async () => {
    const marker = `9${randomInt(100_000, 999_999)}.5`;
    // One child ignores SIGTERM, so only the SIGKILL that follows ends it.
    const dispatch = await harness.dispatch({
      command:
        `(trap '' TERM; sleep ${marker}1) & ` +
        `sleep ${marker}2 & sleep ${marker}3; echo not reached`,
      timeoutMs: 1_500,
    });

    let seen: number[] = [];
    for (let i = 0; i < 50 && seen.length < 3; i++) {
      await delay(100);
      seen = await processesMatching(marker);
    }
    const result = await harness.result(dispatch);

    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(result.outcome).toMatchObject({ ok: false, reason: 'timeout' });
    expect(result.outcome.signal).not.toBeNull();
    expect(result.outcome.stdout).toBe('');
    expect(result.outcome.durationMs).toBeGreaterThanOrEqual(1_500);
    expect(await processesMatching(marker)).toEqual([]);
  });

  it('ends processes a task leaves behind when it exits', async () => {
    const marker = `8${randomInt(100_000, 999_999)}.5`;
    const [, result] = await harness.run({
      command: `sleep ${marker} >/dev/null 2>&1 & echo started`,
    });

    expect(result.outcome.exitCode).toBe(0);
    expect(result.outcome.stdout).toBe('started\n');
    expect(await processesMatching(marker)).toEqual([]);
  });

  it('gives the task only its declared environment, PATH, HOME and TMPDIR', async () => {
    const [, result] = await harness.run({
      command: 'env; test -d "$TMPDIR" && echo TMPDIR-EXISTS; pwd',
      env: { GREETING: 'hi there' },
    });

    const lines = result.outcome.stdout.trim().split('\n');
    const env = new Map(
      lines
        .filter((line) => line.includes('='))
        .map((line) => [
          line.slice(0, line.indexOf('=')),
          line.slice(line.indexOf('=') + 1),
        ]),
    );
    const home = env.get('HOME') ?? '';
    expect(env.get('GREETING')).toBe('hi there');
    expect(env.get('PATH')).toBe(process.env.PATH);
    if (harness.sandbox.defaultRunner === 'bwrap') {
      // bwrap shows the workspace at a fixed place, and /tmp inside it.
      expect(home).toBe('/workspace');
      expect(env.get('TMPDIR')).toBe('/tmp');
    } else {
      expect(home.startsWith(harness.workDir)).toBe(true);
      expect(env.get('TMPDIR')).toBe(join(home, '.tmp'));
    }
    expect(env.has('RIVER_TEST_SANDBOX_SECRET')).toBe(false);
    expect(env.has('NATS_URL')).toBe(false);
    expect(lines).toContain('TMPDIR-EXISTS');
    expect(lines.at(-1)).toBe(home);
    // The workspace is removed right after the result is out.
    await vi.waitFor(async () =>
      expect(await readdir(harness.workDir)).toEqual([]),
    );
  });

  it('streams large binary output in bounded chunks and keeps only the tail', async () => {
    const size = 300_000;
    const [dispatch, result] = await harness.run({
      command:
        `head -c ${size} /dev/urandom > blob; ` +
        'cat blob; sha256sum blob >&2; rm blob',
    });

    const chunks = await harness.logChunks(dispatch);
    const stdout = Buffer.concat(
      chunks.filter((chunk) => chunk.stream === 'stdout').map((c) => c.data),
    );
    expect(result.outcome.exitCode).toBe(0);
    expect(stdout.length).toBe(size);
    expect(result.outcome.stderr.split(' ')[0]).toBe(sha256(stdout));
    expect(
      chunks.every((chunk) => chunk.data.length <= LOG_CHUNK_MAX_BYTES),
    ).toBe(true);
    expect(chunks.length).toBeGreaterThanOrEqual(
      Math.ceil(size / LOG_CHUNK_MAX_BYTES),
    );
    expect(chunks.map((chunk) => chunk.seq)).toEqual(
      chunks.map((_, index) => index),
    );
    expect(result.outcome.stdoutTruncated).toBe(true);
    expect(result.outcome.stderrTruncated).toBe(false);
    expect(Buffer.byteLength(result.outcome.stdout)).toBeGreaterThan(
      CAPTURE_LIMIT_BYTES / 2,
    );
  });
});
