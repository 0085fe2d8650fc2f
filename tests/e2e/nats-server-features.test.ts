import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@river/cli';
import { ServerUnsupportedError } from '@river/protocol';
import { connectRiver, type NatsCredentials } from '@river/protocol/internal';
import { ConnectionError, RiverClient } from '@river/sdk/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster } from '../helpers/nats-cluster.js';
import {
  type ConfiguredNatsServer,
  startConfiguredNatsServer,
} from '../helpers/nats-server.js';
import { REPO_ROOT, river } from '../helpers/river.js';

/** A scheduler may take this long to give up on a server it refuses. */
const SERVICE_EXIT_TIMEOUT_MS = 30_000;

let dir: string;
const servers: ConfiguredNatsServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'river-server-features-'));
});

afterEach(async () => {
  await Promise.allSettled(servers.splice(0).map((server) => server.stop()));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Starts nats-server on a free loopback port from configuration `lines`
 * (a `jetstream` block in them gets its own store), and resolves with
 * its URL.
 */
async function startServer(name: string, lines: string[]): Promise<string> {
  const port = await freePort();
  const config = join(dir, `${name}.conf`);
  const text = [`listen: 127.0.0.1:${port}`, ...lines]
    .join('\n')
    .replace('STORE', JSON.stringify(join(dir, `${name}-store`)));
  await writeFile(config, `${text}\n`);
  servers.push(await startConfiguredNatsServer(config));
  return `nats://127.0.0.1:${port}`;
}

const WITH_JETSTREAM = ['jetstream { store_dir: STORE }'];

/** What connecting as `credentials` is refused with, or undefined. */
async function refusal(
  url: string,
  credentials?: NatsCredentials,
  streamReplicas = { count: 1, setting: 'RIVER_STREAM_REPLICAS' },
): Promise<ServerUnsupportedError | undefined> {
  try {
    const connection = await connectRiver({
      servers: url,
      name: 'features-test',
      maxReconnectAttempts: 0,
      credentials,
      streamReplicas,
    });
    await connection.nc.close();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ServerUnsupportedError);
    return error as ServerUnsupportedError;
  }
}

/** Runs the scheduler's bin against `natsUrl` until it exits. */
function runScheduler(
  natsUrl: string,
): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NATS_URL: natsUrl };
  delete env.RIVER_STREAM_REPLICAS;
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'services/scheduler/bin/river-scheduler.js')],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (data) => {
    output += data;
  });
  child.stderr.on('data', (data) => {
    output += data;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The scheduler did not exit:\n${output}`));
    }, SERVICE_EXIT_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The `err.message` of each JSON log line in `output`. */
function loggedErrors(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { err?: { message?: string } })
    .flatMap((entry) => entry.err?.message ?? []);
}

describe('a nats-server without JetStream', () => {
  it('is refused by connectRiver, the client, the CLI and a service, naming JetStream', async () => {
    const url = await startServer('no-jetstream', []);
    const turnedOff = new RegExp(
      `nats-server \\d+\\.\\d+\\.\\d+ at ${url} has JetStream turned off`,
    );

    const error = await refusal(url);
    expect(error?.feature).toBe('jetstream');
    expect(error?.message).toMatch(turnedOff);
    expect(error?.message).toMatch(/start it with -js/);

    const client = RiverClient.connect({ servers: url });
    await expect(client).rejects.toThrow(ConnectionError);
    await expect(client).rejects.toThrow(turnedOff);

    const watched = await river(['watch', 'run-1'], url, 30_000);
    expect(watched.code).toBe(1);
    expect(watched.stderr).toMatch(turnedOff);

    const scheduler = await runScheduler(url);
    expect(scheduler.code).not.toBe(0);
    expect(loggedErrors(scheduler.output).join('\n')).toMatch(turnedOff);
  });
});

describe('a nats-server whose JetStream is for another account', () => {
  it("refuses the user of the account without it, naming the user's account", async () => {
    const url = await startServer('accounts', [
      ...WITH_JETSTREAM,
      'accounts {',
      '  STREAMS: {',
      '    jetstream: enabled',
      '    users: [{ user: streams, password: streams-secret }]',
      '  }',
      '  PLAIN: { users: [{ user: plain, password: plain-secret }] }',
      '}',
    ]);

    const error = await refusal(url, {
      user: 'plain',
      password: 'plain-secret',
    });

    expect(error?.feature).toBe('jetstream-account');
    expect(error?.message).toMatch(
      new RegExp(
        `^nats-server \\S+ at ${url} runs JetStream, but not for the ` +
          "account of NATS user 'plain': enable it for that account",
      ),
    );
    expect(
      await refusal(url, { user: 'streams', password: 'streams-secret' }),
    ).toBeUndefined();
  });
});

describe('a nats-server whose max_payload is too small', () => {
  it('is refused, naming max_payload and the size River needs', async () => {
    const url = await startServer('small-payload', [
      'max_payload: 256KB',
      ...WITH_JETSTREAM,
    ]);

    const error = await refusal(url);

    expect(error?.feature).toBe('max-payload');
    expect(error?.message).toMatch(
      /takes messages of at most 262144 bytes \(max_payload\), but River sends up to 1048576/,
    );
  });
});

describe('three copies of each stream', () => {
  it('are refused on a single server, naming the setting', async () => {
    const url = await startServer('single', [...WITH_JETSTREAM]);
    const before = process.env.RIVER_STREAM_REPLICAS;
    process.env.RIVER_STREAM_REPLICAS = '3';
    let error: unknown;
    try {
      await connectRiver({
        servers: url,
        name: 'features-test',
        maxReconnectAttempts: 0,
      });
    } catch (caught) {
      error = caught;
    } finally {
      if (before === undefined) {
        delete process.env.RIVER_STREAM_REPLICAS;
      } else {
        process.env.RIVER_STREAM_REPLICAS = before;
      }
    }

    expect(error).toBeInstanceOf(ServerUnsupportedError);
    expect((error as ServerUnsupportedError).feature).toBe('clustering');
    expect((error as Error).message).toMatch(
      /^RIVER_STREAM_REPLICAS is 3, but nats-server \S+ at \S+ is not part of a cluster/,
    );

    const setup = await river(['setup', '--replicas', '3'], url, 30_000);
    expect(setup.code).toBe(1);
    expect(setup.stderr).toMatch(/--replicas is 3, but nats-server/);
  });

  it('are taken on a cluster of three', async () => {
    const cluster = await startNatsCluster({ size: 3 });
    try {
      const url = cluster.nodes[0]?.url as string;
      expect(
        await refusal(url, undefined, {
          count: 3,
          setting: 'RIVER_STREAM_REPLICAS',
        }),
      ).toBeUndefined();
    } finally {
      await cluster.dispose();
    }
  });
});
