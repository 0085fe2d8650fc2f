import { writeFile } from 'node:fs/promises';
import { Buckets } from '@river/protocol';
import {
  checkSecretName,
  generateSecretKeys,
  openBucketIfExists,
  parseSecretPublicKey,
  type RiverConnection,
  type SecretPublicKey,
  sealedForKey,
  sealSecret,
} from '@river/protocol/internal';
import { tableLines } from '../format.js';
import { withRiverConnection } from './context.js';
import { readSecretValue } from './secret-value.js';

/** The variable `river secret set` reads the sandboxes' public key from. */
export const SECRETS_PUBLIC_KEY_VARIABLE = 'RIVER_SECRETS_PUBLIC_KEY';

/** The actions of `river secret`. */
export const SECRET_ACTIONS = ['set', 'list', 'rm', 'keygen'] as const;

/** One of {@link SECRET_ACTIONS}. */
export type SecretAction = (typeof SECRET_ACTIONS)[number];

/** Options of the `river secret` actions. */
export interface SecretOptions {
  /** `set`: read the value from this file instead of standard input. */
  fromFile?: string | undefined;
  /** `keygen`: write the private key to this new file. */
  privateKeyFile?: string | undefined;
  /** `list`: one JSON object per line. */
  json?: boolean;
}

/**
 * `river secret set|list|rm|keygen`: stores a secret sealed for the
 * sandboxes, lists names and versions (never values), removes one, or
 * makes a key pair.
 */
export async function secretCommand(
  action: SecretAction,
  name: string | undefined,
  options: SecretOptions,
): Promise<number> {
  if (action === 'keygen') {
    return keygen(options.privateKeyFile);
  }
  if (action === 'list') {
    return withConnection((connection) => list(connection, options));
  }
  if (name === undefined) {
    throw new Error(`river secret ${action} needs a secret name.`);
  }
  checkSecretName(name);
  if (action === 'rm') {
    return withConnection((connection) => remove(connection, name));
  }

  // Both are checked before connecting, so that a mistake costs nothing.
  const publicKey = publicKeyFromEnv();
  const value = await readSecretValue(name, options.fromFile);
  const sealed = sealSecret(name, value, publicKey);
  return withConnection((connection) => set(connection, name, sealed));
}

async function set(
  connection: RiverConnection,
  name: string,
  sealed: Uint8Array,
): Promise<number> {
  const bucket = await connection.kvm.create(Buckets.secrets, {
    history: 1,
    storage: 'file',
  });
  const version = await bucket.put(name, sealed);
  process.stdout.write(`Secret ${name} set (version ${version}).\n`);
  return 0;
}

async function list(
  connection: RiverConnection,
  options: SecretOptions,
): Promise<number> {
  const bucket = await openBucket(connection);
  const rows: Array<{
    name: string;
    version: number;
    updated: string;
    key: string;
  }> = [];
  if (bucket !== undefined) {
    const names: string[] = [];
    for await (const key of await bucket.keys()) {
      names.push(key);
    }
    for (const name of names.sort()) {
      const entry = await bucket.get(name);
      if (entry === null || entry.operation !== 'PUT') {
        continue;
      }
      rows.push({
        name,
        version: entry.revision,
        updated: entry.created.toISOString(),
        key: sealedForKey(entry.value) ?? 'unreadable',
      });
    }
  }

  if (options.json === true) {
    for (const row of rows) {
      process.stdout.write(`${JSON.stringify(row)}\n`);
    }
    return 0;
  }
  if (rows.length === 0) {
    process.stdout.write('No secrets are set.\n');
    return 0;
  }
  const table = [
    ['NAME', 'VERSION', 'UPDATED', 'SEALED FOR KEY'],
    ...rows.map((row) => [row.name, String(row.version), row.updated, row.key]),
  ];
  for (const line of tableLines(table)) {
    process.stdout.write(`${line}\n`);
  }
  return 0;
}

async function remove(
  connection: RiverConnection,
  name: string,
): Promise<number> {
  const bucket = await openBucket(connection);
  const entry = await bucket?.get(name);
  if (bucket === undefined || entry == null || entry.operation !== 'PUT') {
    throw new Error(
      `Secret ${name} is not set, so there is nothing to remove ` +
        '(river secret list shows the names that are).',
    );
  }
  // A purge drops every stored revision, not only the latest.
  await bucket.purge(name);
  process.stdout.write(`Secret ${name} removed.\n`);
  return 0;
}

async function keygen(privateKeyFile: string | undefined): Promise<number> {
  const keys = generateSecretKeys();
  if (privateKeyFile === undefined) {
    process.stdout.write(
      `${SECRETS_PUBLIC_KEY_VARIABLE}=${keys.publicKey}\n` +
        `RIVER_SECRETS_PRIVATE_KEY=${keys.privateKey}\n`,
    );
    return 0;
  }
  try {
    // Readable by its owner only, and never over an existing key.
    await writeFile(privateKeyFile, `${keys.privateKey}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === 'EEXIST'
        ? 'the file exists, and keygen never writes over a key'
        : (error as Error).message;
    throw new Error(
      `Cannot write the private key to ${privateKeyFile}: ${why}.`,
    );
  }
  process.stdout.write(
    `${SECRETS_PUBLIC_KEY_VARIABLE}=${keys.publicKey}\n` +
      `The private key is in ${privateKeyFile}; give it to the sandboxes ` +
      'with RIVER_SECRETS_PRIVATE_KEY_FILE.\n',
  );
  return 0;
}

/** Opens the secrets bucket, or undefined when no secret was ever set. */
function openBucket(connection: RiverConnection) {
  return openBucketIfExists(connection, Buckets.secrets);
}

function publicKeyFromEnv(): SecretPublicKey {
  const text = process.env[SECRETS_PUBLIC_KEY_VARIABLE];
  if (text === undefined || text.trim() === '') {
    throw new Error(
      `${SECRETS_PUBLIC_KEY_VARIABLE} is not set: set it to the public key ` +
        'river secret keygen printed; the sandboxes hold the private one.',
    );
  }
  try {
    return parseSecretPublicKey(text);
  } catch (error) {
    throw new Error(
      `${SECRETS_PUBLIC_KEY_VARIABLE} is not usable: ` +
        `${(error as Error).message}`,
    );
  }
}

function withConnection(
  action: (connection: RiverConnection) => Promise<number>,
): Promise<number> {
  return withRiverConnection(
    'the NATS server your sandboxes use (river dev prints it)',
    action,
  );
}
