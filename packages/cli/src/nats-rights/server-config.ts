import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { isSubjectToken, labelSet } from '@river/protocol';
import {
  FIXED_ROLES,
  type LabelSet,
  type RoleName,
  type RolePermissions,
  rolePermissions,
  sandboxRole,
} from './roles.js';

/** One role's user: its name and nkey pair. */
export interface RoleUser {
  role: RoleName;
  /** The public key (`U…`), which the server's configuration lists. */
  publicKey: string;
  /** The seed (`SU…`), which only the role's processes may read. */
  seed: string;
  /** For a sandbox role: the label sets its sandboxes offer. */
  labelSets?: LabelSet[];
}

/** A user that connections without credentials are taken to be. */
export interface AnonymousUser {
  /** Whose permissions they get: `sdk` locally, `admin` in tests. */
  role: RoleName;
  /**
   * nats-server 2.9 binds credential-less connections only to a user with
   * a plain password: a random one that nobody is told.
   */
  password: string;
}

/** What {@link natsServerConfig} writes. */
export interface ServerConfigOptions {
  /** `host:port` to listen on for clients. */
  listen: string;
  /** The JetStream store directory. */
  storeDir: string;
  users: readonly RoleUser[];
  /** Only for a server on loopback: see {@link AnonymousUser}. */
  anonymous?: AnonymousUser;
  /** A name for the server in its logs. */
  serverName?: string;
}

/**
 * New nkey pairs for every fixed role and one sandbox role per pool.
 * Each pool is `name`, or `name:label,label` for sandboxes that offer
 * those labels; a pool may be named once per label set.
 *
 * @throws Error naming a pool or label that is not a subject token.
 */
export function newRoleUsers(pools: readonly string[]): RoleUser[] {
  const labelSets = new Map<string, Map<string, LabelSet>>();
  for (const spec of pools) {
    const [name = '', labelText] = spec.split(':', 2);
    const sets = labelSets.get(name) ?? new Map<string, LabelSet>();
    labelSets.set(name, sets);
    const labels = labelSet(
      (labelText ?? '')
        .split(',')
        .map((label) => label.trim())
        .filter((label) => label !== ''),
    );
    const bad = labels.find((label) => !isSubjectToken(label));
    if (bad !== undefined) {
      throw new Error(
        `Pool ${spec}: '${bad}' is not a label: use letters, digits, '-' ` +
          "and '_'.",
      );
    }
    if (labels.length > 0) {
      sets.set(labels.join(','), labels);
    }
  }
  const users: Omit<RoleUser, 'publicKey' | 'seed'>[] = [
    ...FIXED_ROLES.map((role) => ({ role })),
    ...[...labelSets].map(([pool, sets]) => ({
      role: sandboxRole(pool),
      labelSets: [...sets.values()],
    })),
  ];
  return users.map((user) => {
    const pair = nkeys.createUser();
    return {
      ...user,
      publicKey: pair.getPublicKey(),
      seed: new TextDecoder().decode(pair.getSeed()),
    };
  });
}

/** A string as the server's configuration reads it, `$` included. */
function quote(text: string): string {
  return JSON.stringify(text);
}

function list(subjects: readonly string[], indent: string): string {
  const lines = subjects.map((subject) => `${indent}  ${quote(subject)}`);
  return `[\n${lines.join('\n')}\n${indent}]`;
}

function permissionsBlock(rights: RolePermissions, indent: string): string {
  const inner = `${indent}  `;
  return [
    `${indent}permissions: {`,
    `${inner}publish: { allow: ${list(rights.publish, inner)} }`,
    `${inner}subscribe: { allow: ${list(rights.subscribe, inner)} }`,
    ...(rights.allowResponses ? [`${inner}allow_responses: true`] : []),
    `${indent}}`,
  ].join('\n');
}

function userBlock(user: RoleUser): string {
  return [
    `    # ${user.role}`,
    '    {',
    `      nkey: ${user.publicKey}`,
    permissionsBlock(rolePermissions(user.role, user.labelSets), '      '),
    '    }',
  ].join('\n');
}

function anonymousBlock(anonymous: AnonymousUser): string {
  const rights = rolePermissions(anonymous.role);
  // Without a user name, a client takes its replies on the default
  // prefix, where no role's replies come.
  const subscribe = [...new Set([...rights.subscribe, '_INBOX.>'])];
  return [
    `    # connections without credentials: ${anonymous.role}'s rights`,
    '    {',
    '      user: river-local',
    `      password: ${quote(anonymous.password)}`,
    permissionsBlock({ ...rights, subscribe }, '      '),
    '    }',
  ].join('\n');
}

/**
 * A nats-server configuration with JetStream and one user per River role,
 * each allowed only what its role does (see `rolePermissions`). Users
 * authenticate with nkeys, so the file holds public keys only.
 */
export function natsServerConfig(options: ServerConfigOptions): string {
  const users = options.users.map(userBlock);
  if (options.anonymous !== undefined) {
    users.push(anonymousBlock(options.anonymous));
  }
  return [
    "# River's nats-server: one user per role, each with only the",
    '# permissions its role needs. Generated by `river nats-config`.',
    `listen: ${options.listen}`,
    `server_name: ${options.serverName ?? 'river'}`,
    '# Log chunks are at most 64 KiB and task results stay well below this.',
    'max_payload: 1MB',
    'jetstream {',
    `  store_dir: ${quote(options.storeDir)}`,
    '}',
    ...(options.anonymous === undefined ? [] : ['no_auth_user: river-local']),
    'authorization {',
    '  users: [',
    users.join('\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

/** The environment a role's processes connect with. */
export function roleEnv(user: RoleUser, dir: string): Record<string, string> {
  return {
    RIVER_NATS_USER: user.role,
    RIVER_NATS_NKEY_SEED_FILE: join(resolve(dir), `${user.role}.nk`),
  };
}

/**
 * Writes each role's seed (`<role>.nk`, readable by its owner only) and
 * environment file (`<role>.env`) into `dir`.
 */
export async function writeRoleFiles(
  dir: string,
  users: readonly RoleUser[],
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const user of users) {
    const seedFile = join(dir, `${user.role}.nk`);
    await writeFile(seedFile, `${user.seed}\n`, { mode: 0o600 });
    // An existing file keeps its mode through writeFile.
    await chmod(seedFile, 0o600);
    const env = Object.entries(roleEnv(user, dir))
      .map(([name, value]) => `${name}=${value}`)
      .join('\n');
    await writeFile(join(dir, `${user.role}.env`), `${env}\n`, {
      mode: 0o600,
    });
  }
}
