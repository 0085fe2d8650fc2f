import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectRiver,
  RETENTION_DAYS_SETTING,
  readSettings,
  setupRiver,
} from '@river/protocol/internal';
import { Type } from '@river/protocol/typebox';
import type { RoleName } from './nats-rights/roles.js';
import {
  natsServerConfig,
  newRoleUsers,
  type RoleUser,
  roleEnv,
  writeRoleFiles,
} from './nats-rights/server-config.js';

/** How long nats-server may take to say it is ready. */
const NATS_START_TIMEOUT_MS = 15_000;

/** A nats-server run by River itself on a free loopback port. */
export interface EmbeddedNats {
  url: string;
  port: number;
  /** Its JetStream store; kept across {@link EmbeddedNats.stop}. */
  storeDir: string;
  /** Its users and their credentials; `undefined` for an open server. */
  rights: EmbeddedRights | undefined;
  /** The server's process id while it runs, for measuring its usage. */
  pid(): number | undefined;
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
  /**
   * River's users, one per role, each with only its role's permissions
   * (the default), or `false` for a server anyone may do anything on.
   */
  rights?: false | EmbeddedRightsOptions;
}

/** The users of an embedded server. */
export interface EmbeddedRightsOptions {
  /** Pools to make a sandbox user for; `default` unless given. */
  pools?: readonly string[];
  /**
   * Whose permissions a connection without credentials gets: `sdk`, a
   * client's, unless given (tests use `admin`, to look at everything).
   */
  anonymous?: RoleName;
}

/** The users of an embedded server and where their credentials are. */
export interface EmbeddedRights {
  /** Holds the server's configuration, each role's files and its log. */
  dir: string;
  /** The roles that have a user. */
  roles: RoleName[];
  /** Whose permissions a connection without credentials gets. */
  anonymous: RoleName;
  /**
   * The environment that makes a service or the CLI connect as `role`
   * (`RIVER_NATS_USER`, `RIVER_NATS_NKEY_SEED_FILE`).
   *
   * @throws Error when the server has no user for `role`.
   */
  env(role: RoleName): Record<string, string>;
}

/** Embedded servers with users, by `127.0.0.1:<port>`. */
const serversWithRights = new Map<string, EmbeddedRights>();

/**
 * The environment that connects as `role` to the embedded server at
 * `natsUrl`; `undefined` when River started no server with users there,
 * or that server has no user for `role`.
 */
export function embeddedRoleEnv(
  natsUrl: string,
  role: RoleName,
): Record<string, string> | undefined {
  for (const server of natsUrl.split(',')) {
    const address = server
      .trim()
      .replace(/^\w+:\/\//, '')
      .replace(/^.*@/, '');
    const rights = serversWithRights.get(address);
    if (rights?.roles.includes(role)) {
      return rights.env(role);
    }
  }
  return undefined;
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
 * with a temporary store unless one is given. Unless `rights` is false,
 * it has one user per River role with new nkeys (see {@link EmbeddedRights})
 * and River's streams and buckets are created on it, so that services
 * without the right to create them can start.
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
  const rights =
    options.rights === false
      ? undefined
      : await writeRights(port, storeDir, options.rights ?? {});
  const args =
    rights === undefined
      ? ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir]
      : ['-c', join(rights.dir, 'nats-server.conf')];
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitForReady(child);
    if (rights !== undefined) {
      // What the server refuses is in its log, named by user and subject.
      child.stderr?.pipe(
        createWriteStream(join(rights.dir, 'nats-server.log'), { flags: 'a' }),
      );
    }
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    // A server killed by a signal has no exit code, only a signal.
    if (
      running === undefined ||
      running.exitCode !== null ||
      running.signalCode !== null
    ) {
      return;
    }
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  }

  const url = `nats://127.0.0.1:${port}`;
  async function dispose(): Promise<void> {
    await stop();
    if (rights !== undefined) {
      serversWithRights.delete(`127.0.0.1:${port}`);
      await rm(rights.dir, { recursive: true, force: true });
    }
    if (ownStore) {
      await rm(storeDir, { recursive: true, force: true });
    }
  }

  try {
    await start();
    if (rights !== undefined) {
      serversWithRights.set(`127.0.0.1:${port}`, rights);
      await createStreams(url, rights);
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    url,
    port,
    storeDir,
    rights,
    pid: () => child?.pid,
    stop,
    restart: start,
    dispose,
  };
}

/** Writes a configuration with a user per role, and their credentials. */
async function writeRights(
  port: number,
  storeDir: string,
  options: EmbeddedRightsOptions,
): Promise<EmbeddedRights> {
  const dir = await mkdtemp(join(tmpdir(), 'river-nats-rights-'));
  const users: RoleUser[] = newRoleUsers(options.pools ?? ['default']);
  const anonymous = options.anonymous ?? 'sdk';
  await writeRoleFiles(dir, users);
  await writeFile(
    join(dir, 'nats-server.conf'),
    natsServerConfig({
      listen: `127.0.0.1:${port}`,
      storeDir,
      users,
      anonymous: { role: anonymous, password: randomBytes(24).toString('hex') },
      serverName: `river-embedded-${port}`,
    }),
    { mode: 0o600 },
  );
  const byRole = new Map(users.map((user) => [user.role, user]));
  return {
    dir,
    roles: [...byRole.keys()],
    anonymous,
    env(role) {
      const user = byRole.get(role);
      if (user === undefined) {
        throw new Error(
          `The embedded nats-server has no user for role '${role}'; ` +
            `its roles are ${[...byRole.keys()].join(', ')}.`,
        );
      }
      return roleEnv(user, dir);
    },
  };
}

/** Creates River's streams and buckets as the admin user. */
async function createStreams(
  url: string,
  rights: EmbeddedRights,
): Promise<void> {
  const env = rights.env('admin');
  const connection = await connectRiver({
    servers: url,
    name: 'river-setup',
    maxReconnectAttempts: 0,
    credentials: {
      user: 'admin',
      nkeySeedFile: env.RIVER_NATS_NKEY_SEED_FILE as string,
    },
  });
  try {
    // The retention the services are started with, so that the streams
    // made here keep what the services' setting says.
    const { retentionDays } = readSettings(
      Type.Object({ retentionDays: Type.Integer({ minimum: 1 }) }),
      { retentionDays: RETENTION_DAYS_SETTING },
      process.env,
    );
    await setupRiver(connection, { retentionDays });
  } finally {
    await connection.nc.close();
  }
}
