import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { natsServerBinary } from '../embedded-nats.js';
import { FIXED_ROLES, type RoleName, rolePermissions } from './roles.js';
import { natsServerConfig, newRoleUsers } from './server-config.js';

const ROLES: RoleName[] = [...FIXED_ROLES, 'sandbox-default', 'sandbox-gpu'];

/** Roles whose publish list has a subject matching `pattern`. */
function publishers(pattern: RegExp): RoleName[] {
  return ROLES.filter((role) =>
    rolePermissions(role).publish.some((subject) => pattern.test(subject)),
  );
}

describe('the rights of River roles', () => {
  it('give no role but the admin a wildcard over everything', () => {
    for (const role of ROLES.filter((role) => role !== 'admin')) {
      const { publish, subscribe } = rolePermissions(role);
      for (const subject of [...publish, ...subscribe]) {
        expect(subject, role).not.toMatch(/^(>|\$JS\.>|\$JS\.API\.>)$/);
      }
    }
  });

  it('let each role receive only its own replies', () => {
    for (const role of ROLES.filter((role) => role !== 'admin')) {
      const subscribe = rolePermissions(role).subscribe;
      const inboxes = subscribe.filter((subject) => subject.includes('INBOX'));
      expect(inboxes, role).toEqual([`_INBOX_${role}.>`]);
    }
  });

  it('keep each pool to its own queue', () => {
    const gpu = rolePermissions('sandbox-gpu').publish;
    expect(gpu.filter((subject) => subject.includes('dispatch'))).toEqual([
      '$JS.API.CONSUMER.CREATE.RIVER_DISPATCH.sandbox-gpu.river.v1.dispatch.gpu',
    ]);
    expect(gpu.join(' ')).not.toMatch(/sandbox-default/);
    expect(publishers(/CONSUMER\.MSG\.NEXT\.RIVER_DISPATCH/)).toEqual([
      'sandbox-default',
      'sandbox-gpu',
    ]);
  });

  it('let a pool read the queues of the label sets named for it, and no other', () => {
    const gpu = rolePermissions('sandbox-gpu', [['cuda'], ['cuda', 'rocm']]);
    const next = gpu.publish.filter((subject) =>
      subject.startsWith('$JS.API.CONSUMER.MSG.NEXT.RIVER_DISPATCH'),
    );
    expect(next).toEqual([
      '$JS.API.CONSUMER.MSG.NEXT.RIVER_DISPATCH.sandbox-gpu',
      '$JS.API.CONSUMER.MSG.NEXT.RIVER_DISPATCH.sandbox-gpu~cuda',
      '$JS.API.CONSUMER.MSG.NEXT.RIVER_DISPATCH.sandbox-gpu~cuda~rocm',
    ]);
    expect(gpu.publish).toContain('$KV.river-sandboxes.gpu.>');
    expect(gpu.publish.join(' ')).not.toMatch(/river-sandboxes\.default/);
  });

  it('turn pool:labels specs into one user per pool with its label sets', () => {
    const users = newRoleUsers(['gpu', 'gpu:rocm,cuda', 'gpu:cuda', 'default']);
    const gpu = users.find((user) => user.role === 'sandbox-gpu');
    expect(gpu?.labelSets).toEqual([['cuda', 'rocm'], ['cuda']]);
    expect(
      users.filter((user) => user.role.startsWith('sandbox-')),
    ).toHaveLength(2);
    expect(() => newRoleUsers(['gpu:cu.da'])).toThrow(
      /'cu\.da' is not a label/,
    );
  });

  it('let only the sdk and the gateway submit, and the controller read bundles', () => {
    expect(publishers(/^river\.v1\.run\.submit$/)).toEqual(['gateway', 'sdk']);
    expect(
      publishers(/MSG\.GET\.OBJ_river-bundles|OBJ_river-bundles\.\*\.\$O/),
    ).toEqual(['controller']);
    // Sandboxes read sealed values key by key; only clients store them.
    // The controller reads an entry only for the revision it was set at.
    expect(publishers(/^\$KV\.river-secrets\./)).toEqual(['sdk']);
    expect(publishers(/KV_river-secrets/)).toEqual([
      'controller',
      'sdk',
      'sandbox-default',
      'sandbox-gpu',
    ]);
  });

  it('let the gateway read events and logs, not tasks, secrets or the cache', () => {
    const gateway = rolePermissions('gateway').publish.join(' ');
    expect(gateway).toMatch(
      /CONSUMER\.CREATE\.RIVER_EVENTS\.\*\.river\.v1\.events\.>/,
    );
    expect(gateway).toMatch(/river\.v1\.log\.query/);
    for (const kept of [
      /river-secrets/,
      /river-cache/,
      /RIVER_DISPATCH|RIVER_TASK/,
      // Reads events, never writes them.
      /river\.v1\.events\.\*\./,
      /\$O\.river-bundles\.C/,
    ]) {
      expect(gateway).not.toMatch(kept);
    }
  });

  it('let only schedulers write the task cache, and no sandbox near it', () => {
    expect(publishers(/^\$KV\.river-cache/)).toEqual(['scheduler']);
    expect(publishers(/KV_river-cache\b/)).toEqual(['scheduler', 'sdk']);
    expect(
      publishers(/river-cache/).filter((role) => role.startsWith('sandbox')),
    ).toEqual([]);
  });

  it('let only the log-collector serve log queries', () => {
    const serving = ROLES.filter(
      (role) =>
        role !== 'admin' &&
        rolePermissions(role).subscribe.includes('river.v1.log.query'),
    );
    expect(serving).toEqual(['log-collector']);
    expect(
      ROLES.filter((role) => rolePermissions(role).allowResponses),
    ).toEqual(['admin', 'log-collector']);
  });
});

describe('the generated server configuration', () => {
  it('is accepted by nats-server and holds public keys only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'river-config-test-'));
    try {
      const users = newRoleUsers(['default', 'gpu']);
      const config = natsServerConfig({
        listen: '127.0.0.1:4999',
        storeDir: join(dir, 'store'),
        users,
      });
      const file = join(dir, 'nats-server.conf');
      await writeFile(file, config);

      const checked = await promisify(execFile)(natsServerBinary(), [
        '-t',
        '-c',
        file,
      ]).then(
        () => 'valid',
        (error: Error) => error.message,
      );

      expect(checked).toBe('valid');
      for (const user of users) {
        expect(config).toContain(`nkey: ${user.publicKey}`);
        expect(config).not.toContain(user.seed);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
