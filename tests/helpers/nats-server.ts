import { type ChildProcess, spawn } from 'node:child_process';
import {
  type EmbeddedNats,
  type EmbeddedRightsOptions,
  natsServerBinary,
  startEmbeddedNats,
} from '@river/cli';

/** A nats-server started for one test file, on a free loopback port. */
export type TestNatsServer = EmbeddedNats;

/**
 * Starts a JetStream-enabled nats-server on 127.0.0.1 with a temporary
 * store; `stop()`/`restart()` keep the store, `dispose()` removes it.
 *
 * It runs under River's per-role users, with River's streams and buckets
 * made: a service started on it through `startServiceProcess` connects as
 * its role's user, and a connection without credentials (the test's own)
 * gets the admin's rights, so that tests can look at everything.
 */
export function startNatsServer(
  rights: EmbeddedRightsOptions = {},
): Promise<TestNatsServer> {
  return startEmbeddedNats({ rights: { anonymous: 'admin', ...rights } });
}

/** A nats-server started from a configuration file. */
export interface ConfiguredNatsServer {
  /** Everything it printed on stderr so far: refusals are logged there. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts nats-server with `configFile` as it is, and resolves once it
 * says it is ready.
 *
 * @throws Error when it exits or is not ready within 15 s.
 */
export async function startConfiguredNatsServer(
  configFile: string,
): Promise<ConfiguredNatsServer> {
  const child: ChildProcess = spawn(natsServerBinary(), ['-c', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (data: Buffer) => {
    output += data.toString();
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`nats-server was not ready:\n${output}`));
    }, 15_000);
    const poll = setInterval(() => {
      if (output.includes('Server is ready')) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }
    }, 50);
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`nats-server exited with ${code}:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { log: () => output, stop };
}
