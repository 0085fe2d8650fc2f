import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';

// The service runs as a process of its own, from the built package, since
// runService exits the process it runs in.
const INTERNAL_ENTRY = new URL('../../dist/internal/index.js', import.meta.url);

const PROBE_SERVICE = `
const { runService } = await import(process.env.INTERNAL_ENTRY);
await runService({
  name: 'log-probe',
  loadConfig() {
    if (process.env.PROBE_FAIL === 'yes') {
      throw new Error('PROBE_SETTING is wrong.');
    }
    return { logLevel: 'info' };
  },
  async start(config, { log }) {
    // Stands for the connection that keeps a real service alive.
    const alive = setInterval(() => undefined, 60_000);
    // Logged on the next turn, once runService listens for signals, so
    // that the test's first signal cannot come before the listener.
    setImmediate(() => log.info('Log-probe started'));
    return {
      async close() {
        await new Promise((done) => setTimeout(done, process.env.CLOSE_MS));
        clearInterval(alive);
        log.info('Log-probe stopped');
      },
    };
  },
  stopAtOnceMessage: 'Stopping the probe at once',
});
`;

interface Probe {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  /** Resolves once a line with this message is logged; rejects on exit. */
  logged(msg: string): Promise<void>;
  /** Resolves with the exit code, or `null` when a signal ended it. */
  exited: Promise<number | null>;
}

const probes: ChildProcess[] = [];

function startProbe(env: NodeJS.ProcessEnv): Probe {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', PROBE_SERVICE],
    {
      env: { ...process.env, ...env, INTERNAL_ENTRY: INTERNAL_ENTRY.href },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  probes.push(child);

  const lines: Array<Record<string, unknown>> = [];
  const checks: Array<() => void> = [];
  createInterface({ input: child.stdout as Readable }).on('line', (text) => {
    lines.push(JSON.parse(text));
    for (const check of checks.splice(0)) {
      check();
    }
  });
  // 'close' rather than 'exit': by then every line of output has been read.
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => resolve(code));
  });

  return {
    child,
    lines,
    exited,
    logged: (msg) =>
      new Promise((resolve, reject) => {
        const check = () =>
          lines.some((line) => line.msg === msg)
            ? resolve()
            : checks.push(check);
        check();
        void exited.then((code) =>
          reject(new Error(`The probe exited with ${code} before "${msg}".`)),
        );
      }),
  };
}

afterEach(() => {
  for (const child of probes.splice(0)) {
    child.kill('SIGKILL');
  }
});

describe('running a service as a process', () => {
  it('logs why it failed to start, under the service name, and exits with 1', async () => {
    const probe = startProbe({ PROBE_FAIL: 'yes' });

    expect(await probe.exited).toBe(1);
    expect(probe.lines).toEqual([
      expect.objectContaining({
        service: 'log-probe',
        level: 60,
        msg: 'Log-probe failed to start',
        err: expect.objectContaining({ message: 'PROBE_SETTING is wrong.' }),
      }),
    ]);
  });

  it('SIGTERM closes it and exits with 0', async () => {
    const probe = startProbe({ CLOSE_MS: '10' });
    await probe.logged('Log-probe started');

    probe.child.kill('SIGTERM');

    expect(await probe.exited).toBe(0);
    expect(probe.lines.map((line) => line.msg)).toEqual([
      'Log-probe started',
      'Shutting down',
      'Log-probe stopped',
    ]);
  });

  it('a second signal while it closes stops it at once with exit code 1', async () => {
    const probe = startProbe({ CLOSE_MS: '10000' });
    await probe.logged('Log-probe started');

    probe.child.kill('SIGTERM');
    await probe.logged('Shutting down');
    probe.child.kill('SIGINT');

    expect(await probe.exited).toBe(1);
    expect(probe.lines.at(-1)).toMatchObject({
      level: 40,
      signal: 'SIGINT',
      msg: 'Stopping the probe at once',
    });
  });
});
