import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  natsServerConfig,
  newRoleUsers,
  writeRoleFiles,
} from '../nats-rights/server-config.js';

/** Options of `river nats-config`. */
export interface NatsConfigOptions {
  /** Directory to write into; it must not hold a configuration yet. */
  out: string;
  /** Pools to make sandbox users for; `default` when none. */
  pools: readonly string[];
  /** Where the server listens for clients. */
  listen: string;
  /** The server's JetStream store. */
  storeDir: string;
}

/** Where `river nats-config` points the server unless told. */
export const NATS_CONFIG_DEFAULTS = {
  listen: '127.0.0.1:4222',
  storeDir: '/var/lib/river/nats',
} as const;

/**
 * `river nats-config`: writes a nats-server configuration with one user
 * per River role and new nkeys, with each role's seed and environment
 * file beside it. Resolves with the exit code.
 *
 * @throws Error when `out` already holds a configuration (new keys would
 *   lock out every process using the old ones) or a pool name is invalid.
 */
export async function natsConfigCommand(
  options: NatsConfigOptions,
): Promise<number> {
  const dir = resolve(options.out);
  const configFile = join(dir, 'nats-server.conf');
  if (existsSync(configFile)) {
    throw new Error(
      `${configFile} exists already: new keys would lock out every ` +
        'process that uses the old ones; choose another --out directory.',
    );
  }
  const users = newRoleUsers(
    options.pools.length === 0 ? ['default'] : options.pools,
  );

  await writeRoleFiles(dir, users);
  await writeFile(
    configFile,
    natsServerConfig({
      listen: options.listen,
      storeDir: options.storeDir,
      users,
    }),
    { mode: 0o644 },
  );

  const print = (line: string) => process.stdout.write(`${line}\n`);
  print(`Wrote ${configFile} with a user for each role:`);
  for (const user of users) {
    print(`  ${user.role.padEnd(18)} ${join(dir, `${user.role}.env`)}`);
  }
  print('');
  print('Start the server, create the streams as admin, then each service');
  print("with its role's environment file, for example:");
  print(`  nats-server -c ${configFile}`);
  print(
    `  env $(cat ${join(dir, 'admin.env')}) NATS_URL=nats://${options.listen} river setup`,
  );
  print(
    `  env $(cat ${join(dir, 'controller.env')}) ` +
      `NATS_URL=nats://${options.listen} river-controller`,
  );
  print(
    'Each .nk file is a secret: give it only to the processes of its role.',
  );
  return 0;
}
