import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runShutdown } from './shutdown.js';

/** A logger that keeps its lines, parsed, in `lines`. */
function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'debug' },
    {
      write: (line: string) => lines.push(JSON.parse(line)),
    },
  );
  return { log, lines };
}

describe('shutdown steps', () => {
  it('runs every step in order even when one fails, and logs the failure', async () => {
    const { log, lines } = captureLogger();
    const ran: string[] = [];

    await runShutdown(log, [
      ['stop consumers', async () => ran.push('stop consumers')],
      [
        'abandon runs',
        async () => {
          ran.push('abandon runs');
          throw new Error('a run would not stop');
        },
      ],
      ['drain connection', async () => ran.push('drain connection')],
    ]);

    expect(ran).toEqual(['stop consumers', 'abandon runs', 'drain connection']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      step: 'abandon runs',
      msg: 'Shutdown step failed',
      err: { message: 'a run would not stop' },
    });
  });

  it('goes on past a step that does not end within its limit', async () => {
    const { log, lines } = captureLogger();
    const ran: string[] = [];
    const started = Date.now();

    await runShutdown(log, [
      ['drain subscription', () => new Promise(() => undefined), 50],
      ['drain connection', async () => ran.push('drain connection')],
    ]);

    expect(ran).toEqual(['drain connection']);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(lines[0]).toMatchObject({
      step: 'drain subscription',
      msg: 'Shutdown step failed',
      err: { message: 'did not end within 50 ms' },
    });
  });
});
