import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How long nats-server may take to say it is ready. */
const NATS_START_TIMEOUT_MS = 15_000;

/** A nats-server run by River itself on a free loopback port. */
export interface EmbeddedNats {
  url: string;
  port: number;
  /** Its JetStream store; kept across {@link EmbeddedNats.stop}. */
  storeDir: string;
  /** Stops the server (SIGTERM), keeping its store. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store. */
  restart(): Promise<void>;
  /** Stops it and removes its store if River created the store. */
  dispose(): Promise<void>;
}

/** Options of {@link startEmbeddedNats}. */
export interface EmbeddedNatsOptions {
  /** Keep JetStream data here instead of a new temporary directory. */
  storeDir?: string;
  /** Listen on this port instead of a free one. */
  port?: number;
}

/** Finds a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The nats-server binary: RIVER_NATS_SERVER, then PATH, then /usr/sbin. */
export function natsServerBinary(env = process.env): string {
  if (env.RIVER_NATS_SERVER) {
    return env.RIVER_NATS_SERVER;
  }
  for (const dir of (env.PATH ?? '').split(':').concat('/usr/sbin')) {
    const candidate = join(dir, 'nats-server');
    if (dir !== '' && existsSync(candidate)) {
      return candidate;
    }
  }
  throw new Error(
    'nats-server was not found on PATH or in /usr/sbin: install it ' +
      '(Debian: apt-get install nats-server) or set NATS_URL to a running ' +
      'server.',
  );
}

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (reason: string) => {
      clearTimeout(timer);
      reject(new Error(`nats-server ${reason}:\n${output.slice(-2_000)}`));
    };
    const timer = setTimeout(
      () => fail(`was not ready after ${NATS_START_TIMEOUT_MS} ms`),
      NATS_START_TIMEOUT_MS,
    );
    const onData = (data: Buffer) => {
      output += data.toString();
      if (output.includes('Server is ready')) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        child.stderr?.resume();
        resolve();
      }
    };
    const onExit = (code: number | null) => fail(`exited with ${code}`);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/**
 * Starts a JetStream-enabled nats-server on 127.0.0.1, on a free port,
 * with a temporary store unless one is given.
 *
 * @throws Error when the binary is missing or the server does not start.
 */
export async function startEmbeddedNats(
  options: EmbeddedNatsOptions = {},
): Promise<EmbeddedNats> {
  const binary = natsServerBinary();
  const port = options.port ?? (await freePort());
  const ownStore = options.storeDir === undefined;
  const storeDir =
    options.storeDir ?? (await mkdtemp(join(tmpdir(), 'river-nats-')));
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(port), '-js'];
    child = spawn(binary, [...args, '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await waitForReady(child);
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  }

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop,
    restart: start,
    async dispose() {
      await stop();
      if (ownStore) {
        await rm(storeDir, { recursive: true, force: true });
      }
    },
  };
}
