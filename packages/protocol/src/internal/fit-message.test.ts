import { describe, expect, it } from 'vitest';
import { decode } from '../codec.js';
import { encodeFitted } from './fit-message.js';

const outcome = (stdout: string, message?: string) => ({
  ok: false,
  exitCode: 1,
  signal: null,
  reason: 'exited' as const,
  durationMs: 5,
  stdout,
  stderr: '',
  stdoutTruncated: false,
  stderrTruncated: false,
  files: [],
  ...(message === undefined ? {} : { message }),
});

const result = (stdout: string, message?: string) => ({
  schema: 1 as const,
  runId: 'run-a',
  taskId: 'task-1',
  attempt: 1,
  sandboxId: 'sandbox-1',
  finishedAt: 1,
  outcome: outcome(stdout, message),
});

describe('encodeFitted', () => {
  it('leaves a message that fits as it is', () => {
    const fitted = encodeFitted('taskResult', result('hello'), 4096);
    expect(fitted.cut).toBe(false);
    expect(decode('taskResult', 's', fitted.bytes).outcome.stdout).toBe(
      'hello',
    );
  });

  it('keeps the end of a tail and the start of a message, marked', () => {
    const stdout = `${'a'.repeat(300_000)}THE END`;
    const message = `START ${'m'.repeat(300_000)}`;
    const fitted = encodeFitted('taskResult', result(stdout, message), 65_536);
    expect(fitted.cut).toBe(true);
    expect(fitted.bytes.length).toBeLessThanOrEqual(65_536);
    const back = decode('taskResult', 's', fitted.bytes).outcome;
    expect(back.stdout.endsWith('THE END')).toBe(true);
    expect(back.stdout).toMatch(/^\[\d+ bytes cut to fit a NATS message\]/);
    expect(back.stdoutTruncated).toBe(true);
    expect(back.message?.startsWith('START ')).toBe(true);
    expect(back.message).toMatch(/bytes cut to fit a NATS message\]$/);
  });

  it('cuts wide characters on a character edge', () => {
    const stdout = '\uFFFD'.repeat(200_000);
    const fitted = encodeFitted('taskResult', result(stdout), 100_000);
    expect(fitted.bytes.length).toBeLessThanOrEqual(100_000);
    const back = decode('taskResult', 's', fitted.bytes).outcome.stdout;
    expect(back.split('\n')[1]).toMatch(/^\uFFFD+$/);
  });
});
