import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  natsServerConfig,
  newRoleUsers,
  type ServiceName,
  type ServiceProcess,
  startServiceProcess,
  writeRoleFiles,
} from '@river/cli';
import {
  Buckets,
  Consumers,
  type RunEvent,
  Streams,
  Subjects,
} from '@river/protocol';
import {
  connectRiver,
  ensureDurable,
  followSubject,
  NatsAccessError,
  publishWithRetry,
  putObjectWriteOnly,
  type RiverConnection,
} from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConfiguredNatsServer,
  startConfiguredNatsServer,
} from '../helpers/nats-server.js';
import { river, runIdOf, TEST_SERVICE_ENV } from '../helpers/river.js';

/** The roles this server has users for: two pools of sandboxes. */
const ROLES = [
  'admin',
  'controller',
  'scheduler',
  'log-collector',
  'gateway',
  'sdk',
  'sandbox-default',
  'sandbox-gpu',
] as const;

type Role = (typeof ROLES)[number];

const SERVICES: readonly [ServiceName, Role][] = [
  ['controller', 'controller'],
  ['scheduler', 'scheduler'],
  ['sandbox', 'sandbox-default'],
  ['log-collector', 'log-collector'],
];

let dir: string;
let natsUrl: string;
let server: ConfiguredNatsServer;
const roleEnv = new Map<Role, Record<string, string>>();
const as = new Map<Role, RiverConnection>();
const services: ServiceProcess[] = [];

/** The variables of a `.env` file that `river nats-config` wrote. */
async function readEnvFile(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.split('=')[1]]),
  ) as Record<string, string>;
}

function connection(role: Role): RiverConnection {
  const found = as.get(role);
  if (found === undefined) {
    throw new Error(`No connection as ${role}`);
  }
  return found;
}

/** A client connected as the `sdk` role. */
function sdkClient(): Promise<RiverClient> {
  const env = roleEnv.get('sdk') as Record<string, string>;
  return RiverClient.connect({
    servers: natsUrl,
    credentials: {
      user: 'sdk',
      nkeySeedFile: env.RIVER_NATS_NKEY_SEED_FILE as string,
    },
  });
}

/** Asserts that `action` was refused for `role` on a subject. */
async function expectRefused(
  action: Promise<unknown>,
  role: Role,
  subject: string | RegExp,
): Promise<NatsAccessError> {
  const error = await action.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error, `${role} was allowed`).toBeInstanceOf(NatsAccessError);
  const refusal = error as NatsAccessError;
  expect(refusal.user).toBe(role);
  expect(refusal.subject).toMatch(subject);
  expect(refusal.message).toContain(`NATS user '${role}' may not`);
  return refusal;
}

/** Resolves with the error a subscription was closed with, if any. */
async function subscriptionRefusal(
  role: Role,
  subject: string,
): Promise<unknown> {
  const subscription = connection(role).nc.subscribe(subject);
  const timeout = new Promise((resolve) => setTimeout(resolve, 2_000));
  const closed = await Promise.race([subscription.closed, timeout]);
  subscription.unsubscribe();
  return closed;
}

const bytes = (text: string) => new TextEncoder().encode(text);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'river-nats-rights-test-'));
  const port = await freePort();
  natsUrl = `nats://127.0.0.1:${port}`;
  const rightsDir = join(dir, 'rights');

  const generated = await river(
    [
      'nats-config',
      '--out',
      rightsDir,
      '--pool',
      'default',
      '--pool',
      'gpu',
      '--pool',
      'gpu:cuda',
      '--listen',
      `127.0.0.1:${port}`,
      '--store',
      join(dir, 'store'),
    ],
    undefined,
  );
  expect(generated.code, generated.stderr).toBe(0);
  for (const role of ROLES) {
    roleEnv.set(role, await readEnvFile(join(rightsDir, `${role}.env`)));
  }
  server = await startConfiguredNatsServer(join(rightsDir, 'nats-server.conf'));

  const setup = await river(['setup'], natsUrl, 60_000, roleEnv.get('admin'));
  expect(setup.code, setup.stderr).toBe(0);

  for (const [name, role] of SERVICES) {
    services.push(
      await startServiceProcess(
        name,
        { ...TEST_SERVICE_ENV, NATS_URL: natsUrl, ...roleEnv.get(role) },
        dir,
      ),
    );
  }
  for (const role of ROLES) {
    const env = roleEnv.get(role) as Record<string, string>;
    as.set(
      role,
      await connectRiver({
        servers: natsUrl,
        name: `rights-test-${role}`,
        credentials: {
          user: role,
          nkeySeedFile: env.RIVER_NATS_NKEY_SEED_FILE as string,
        },
      }),
    );
  }
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(services.map((service) => service.stop()));
  await Promise.allSettled([...as.values()].map((c) => c.nc.close()));
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the configuration river nats-config writes', () => {
  it('names each role by its public key and holds no secret', async () => {
    const config = await readFile(
      join(dir, 'rights', 'nats-server.conf'),
      'utf8',
    );
    const seeds = await Promise.all(
      ROLES.map((role) => readFile(join(dir, 'rights', `${role}.nk`), 'utf8')),
    );

    for (const seed of seeds) {
      expect(seed.trim()).toMatch(/^SU[A-Z2-7]+$/);
      expect(config).not.toContain(seed.trim());
    }
    expect(config).not.toMatch(/password|no_auth_user/);
    expect(config.match(/nkey: U[A-Z2-7]+/g)).toHaveLength(ROLES.length);
  });
});

describe('each role doing its own job', () => {
  it('runs a project end to end, with nothing refused on the way', async () => {
    const sdk = roleEnv.get('sdk');
    const run = await river(
      ['run', 'tests/security/nats-rights-pipeline.ts'],
      natsUrl,
      120_000,
      sdk,
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/counted\s+\d+ lines/);
    const runId = runIdOf(run.stdout);

    const logs = await river(['logs', runId, 'read-1'], natsUrl, 60_000, sdk);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/counted\s+\d+ lines/);
    const events = await river(['events', runId], natsUrl, 60_000, sdk);
    expect(events.stdout).toContain('run succeeded');
    // The services, the CLI and the setup went through without one refusal.
    expect(server.log()).not.toContain('Violation');
  });

  it('reuses cached results in a second run, with nothing refused on the way', async () => {
    const client = await sdkClient();
    try {
      const results: string[] = [];
      for (let round = 0; round < 2; round++) {
        const { runId } = await client.submit(
          'tests/security/nats-rights-pipeline.ts',
        );
        for await (const event of client.watch(runId)) {
          if (event.type === 'task.cache' && round === 1) {
            results.push(event.result);
          }
        }
      }
      expect(results).toEqual(['hit', 'hit']);
    } finally {
      await client.close();
    }
    expect(server.log()).not.toContain('Violation');
  });

  it("runs a task asking for labels on its pool's sandbox that offers them, with nothing refused", async () => {
    const env = roleEnv.get('sandbox-gpu') as Record<string, string>;
    const sandbox = await startServiceProcess(
      'sandbox',
      {
        ...TEST_SERVICE_ENV,
        NATS_URL: natsUrl,
        ...env,
        RIVER_POOL: 'gpu',
        RIVER_LABELS: 'cuda',
      },
      dir,
    );
    services.push(sandbox);
    const client = await sdkClient();
    try {
      const { runId } = await client.submit('tests/fixtures/fleet-load.ts', {
        params: { tasks: '2', pool: 'gpu', labels: 'cuda' },
      });
      let last: RunEvent | undefined;
      for await (const event of client.watch(runId)) {
        last = event;
      }
      expect(last).toMatchObject({ type: 'run.finished', status: 'succeeded' });
    } finally {
      await client.close();
    }
    expect(server.log()).not.toContain('Violation');
  });

  it('cancels a running run, with nothing refused on the way', async () => {
    const client = await sdkClient();
    try {
      const { runId } = await client.submit('tests/fixtures/cancel.ts');
      let status: string | undefined;
      for await (const event of client.watch(runId)) {
        if (event.type === 'task.started') {
          await client.cancel(runId, 'rights test');
        }
        if (event.type === 'run.finished') {
          status = event.status;
        }
      }
      expect(status).toBe('cancelled');
    } finally {
      await client.close();
    }
    expect(server.log()).not.toContain('Violation');
  });
});

describe('a sandbox', () => {
  it('cannot publish a submission, and is told so at once', async () => {
    const { js } = connection('sandbox-default');
    await expectRefused(
      js.publish(Subjects.submit, bytes('{}')),
      'sandbox-default',
      Subjects.submit,
    );

    const started = Date.now();
    await expectRefused(
      publishWithRetry(js, Subjects.submit, bytes('{}'), 'rights-test-1'),
      'sandbox-default',
      Subjects.submit,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("cannot pull another pool's queue, however it asks", async () => {
    const gpu = connection('sandbox-gpu');
    await ensureDurable(gpu.jsm, {
      stream: Streams.dispatch,
      name: Consumers.sandboxPool('gpu'),
      filterSubject: Subjects.dispatch('gpu'),
      ackWaitMs: 30_000,
    });
    await connection('admin').js.publish(
      Subjects.dispatch('gpu'),
      bytes('for the gpu pool only'),
    );
    const sandbox = connection('sandbox-default');
    const gpuQueue = Consumers.sandboxPool('gpu');

    await expectRefused(
      sandbox.js.consumers.get(Streams.dispatch, gpuQueue),
      'sandbox-default',
      `$JS.API.CONSUMER.INFO.${Streams.dispatch}.${gpuQueue}`,
    );
    await expectRefused(
      sandbox.nc.request(
        `$JS.API.CONSUMER.MSG.NEXT.${Streams.dispatch}.${gpuQueue}`,
        bytes('{"batch":1}'),
      ),
      'sandbox-default',
      /MSG\.NEXT\.RIVER_DISPATCH\.sandbox-gpu$/,
    );
    await expectRefused(
      ensureDurable(sandbox.jsm, {
        stream: Streams.dispatch,
        name: 'sandbox-default-2',
        filterSubject: Subjects.dispatch('gpu'),
        ackWaitMs: 30_000,
      }),
      'sandbox-default',
      /CONSUMER\.CREATE\.RIVER_DISPATCH\.sandbox-default-2\./,
    );
    await expectRefused(
      sandbox.js.consumers.get(Streams.dispatch, {
        filter_subjects: Subjects.dispatch('gpu'),
      }),
      'sandbox-default',
      /CONSUMER\.CREATE\.RIVER_DISPATCH\..*\.river\.v1\.dispatch\.gpu$/,
    );

    // Its own consumer's name with another pool's filter: the server
    // holds the filter in the request to the one its subject names.
    const own = Consumers.sandboxPool('default');
    const reply = await sandbox.nc.request(
      `$JS.API.CONSUMER.CREATE.${Streams.dispatch}.${own}.${Subjects.dispatch('default')}`,
      bytes(
        JSON.stringify({
          stream_name: Streams.dispatch,
          config: {
            durable_name: own,
            filter_subject: Subjects.dispatch('gpu'),
            ack_policy: 'explicit',
          },
        }),
      ),
    );
    expect(JSON.parse(new TextDecoder().decode(reply.data)).error).toEqual(
      expect.objectContaining({ err_code: 10131 }),
    );

    // Nor can it listen to the queue's subject, or to another's replies.
    for (const subject of [
      'river.v1.dispatch.>',
      '_INBOX.>',
      '_INBOX_scheduler.>',
      '>',
    ]) {
      expect(
        await subscriptionRefusal('sandbox-default', subject),
        subject,
      ).toBeInstanceOf(Error);
    }

    const info = await connection('admin').jsm.consumers.info(
      Streams.dispatch,
      gpuQueue,
    );
    expect(info.num_pending).toBe(1);
  });

  it('cannot read bundles, which the sdk can store but not read', async () => {
    const digest = 'f'.repeat(64);
    const stored = await putObjectWriteOnly(
      connection('sdk'),
      Buckets.bundles,
      digest,
      bytes('module.exports = "a project";'),
    );
    expect(stored).toBe(true);
    const controller = await connection('controller').objm.open(
      Buckets.bundles,
    );
    expect(new TextDecoder().decode(await controller.getBlob(digest))).toBe(
      'module.exports = "a project";',
    );

    // The sandbox and scheduler may not even look the bucket up; the sdk
    // may, to store bundles, but not read one.
    for (const role of ['sandbox-default', 'scheduler', 'sdk'] as const) {
      const read = async () =>
        (await connection(role).objm.open(Buckets.bundles)).getBlob(digest);
      await expectRefused(
        read(),
        role,
        role === 'sdk'
          ? `$JS.API.STREAM.MSG.GET.OBJ_${Buckets.bundles}`
          : `$JS.API.STREAM.INFO.OBJ_${Buckets.bundles}`,
      );
    }
    await expectRefused(
      connection('sandbox-default').js.consumers.get(`OBJ_${Buckets.bundles}`, {
        filter_subjects: `$O.${Buckets.bundles}.C.>`,
      }),
      'sandbox-default',
      `$JS.API.STREAM.INFO.OBJ_${Buckets.bundles}`,
    );
  });

  it('reads sealed secrets key by key but cannot change or list them', async () => {
    const admin = await connection('admin').kvm.open(Buckets.secrets);
    await admin.put('RIGHTS_TEST_TOKEN', bytes('sealed value'));
    const { kvm, nc } = connection('sandbox-default');

    const secrets = await kvm.open(Buckets.secrets);
    const entry = await secrets.get('RIGHTS_TEST_TOKEN');
    expect(Buffer.from(entry?.value ?? []).toString()).toBe('sealed value');
    await expectRefused(
      secrets.put('RIGHTS_TEST_TOKEN', bytes('replaced')),
      'sandbox-default',
      `$KV.${Buckets.secrets}.RIGHTS_TEST_TOKEN`,
    );
    expect(
      await subscriptionRefusal('sandbox-default', `$KV.${Buckets.secrets}.>`),
    ).toBeInstanceOf(Error);
    // The controller reads an entry, still sealed, for its revision only.
    for (const role of ['scheduler', 'log-collector'] as const) {
      const read = connection(role)
        .kvm.open(Buckets.secrets)
        .then((bucket) => bucket.get('RIGHTS_TEST_TOKEN'));
      await expectRefused(read, role, /KV_river-secrets/);
    }
    expect(nc.isClosed()).toBe(false);
  });

  it('cannot publish run events as the controller', async () => {
    const { js } = connection('sandbox-default');
    const runId = 'run-rights-test-events';

    for (const type of ['run.finished', 'job.finished', 'task.requested']) {
      await expectRefused(
        js.publish(Subjects.event(runId, type), bytes('{}')),
        'sandbox-default',
        Subjects.event(runId, type),
      );
    }
    // Nor the scheduler's outcome of a task.
    await expectRefused(
      js.publish(Subjects.event(runId, 'task.finished'), bytes('{}')),
      'sandbox-default',
      Subjects.event(runId, 'task.finished'),
    );
    // Its own event goes through.
    await js.publish(Subjects.event(runId, 'task.started'), bytes('{}'));
  });

  it('cannot follow a stream it may not read, and is told so', async () => {
    const follower = followSubject(
      connection('sandbox-default').js,
      Streams.submissions,
      Subjects.submit,
    );
    await expectRefused(
      follower.next(),
      'sandbox-default',
      `$JS.API.STREAM.INFO.${Streams.submissions}`,
    );
  });

  it('cannot answer log queries in place of the log-collector', async () => {
    for (const role of ['sandbox-default', 'sdk', 'controller'] as const) {
      expect(
        await subscriptionRefusal(role, Subjects.logQuery),
        role,
      ).toBeInstanceOf(Error);
    }
  });
});

describe('the other roles', () => {
  it('sdk cannot publish task results or dispatches', async () => {
    const { js } = connection('sdk');
    for (const subject of [Subjects.taskResult, Subjects.dispatch('default')]) {
      await expectRefused(js.publish(subject, bytes('{}')), 'sdk', subject);
    }
    await expectRefused(
      js.publish(Subjects.taskRequest, bytes('{}')),
      'sdk',
      Subjects.taskRequest,
    );
  });

  it('log-collector cannot submit a run', async () => {
    await expectRefused(
      connection('log-collector').js.publish(Subjects.submit, bytes('{}')),
      'log-collector',
      Subjects.submit,
    );
  });

  it("controller cannot pull a pool's dispatch queue", async () => {
    const controller = connection('controller');
    const queue = Consumers.sandboxPool('default');
    await expectRefused(
      controller.js.consumers.get(Streams.dispatch, queue),
      'controller',
      `$JS.API.CONSUMER.INFO.${Streams.dispatch}.${queue}`,
    );
    await expectRefused(
      controller.nc.request(
        `$JS.API.CONSUMER.MSG.NEXT.${Streams.dispatch}.${queue}`,
        bytes('{"batch":1}'),
      ),
      'controller',
      `$JS.API.CONSUMER.MSG.NEXT.${Streams.dispatch}.${queue}`,
    );
    await expectRefused(
      ensureDurable(controller.jsm, {
        stream: Streams.dispatch,
        name: queue,
        filterSubject: Subjects.dispatch('default'),
        ackWaitMs: 30_000,
      }),
      'controller',
      /CONSUMER\.CREATE\.RIVER_DISPATCH\./,
    );
  });

  it('no role but the admin may create or delete streams', async () => {
    for (const role of ROLES.filter((role) => role !== 'admin')) {
      const { jsm } = connection(role);
      await expectRefused(
        jsm.streams.add({ name: 'RIGHTS_TEST', subjects: ['rights.test'] }),
        role,
        '$JS.API.STREAM.CREATE.RIGHTS_TEST',
      );
      await expectRefused(
        jsm.streams.delete(Streams.events),
        role,
        `$JS.API.STREAM.DELETE.${Streams.events}`,
      );
    }
  });
});

describe('connecting', () => {
  it('names the user the server does not know', async () => {
    const [stranger] = newRoleUsers([]);
    const seedFile = join(dir, 'stranger.nk');
    await writeFile(seedFile, stranger?.seed ?? '', { mode: 0o600 });

    const error = await connectRiver({
      servers: natsUrl,
      name: 'stranger',
      maxReconnectAttempts: 0,
      credentials: { user: 'controller', nkeySeedFile: seedFile },
    }).catch((failure: unknown) => failure);

    expect(error).toBeInstanceOf(NatsAccessError);
    expect((error as Error).message).toMatch(
      /refused user 'controller': its credentials match no user/,
    );
  });

  it('names the setting whose file holds no seed', async () => {
    const seedFile = join(dir, 'garbled.nk');
    await writeFile(seedFile, 'not a seed\n', { mode: 0o600 });

    const error = await connectRiver({
      servers: natsUrl,
      name: 'garbled',
      maxReconnectAttempts: 0,
      credentials: { user: 'controller', nkeySeedFile: seedFile },
    }).catch((failure: unknown) => failure);

    expect(error).toBeInstanceOf(NatsAccessError);
    expect((error as Error).message).toMatch(
      /RIVER_NATS_NKEY_SEED_FILE .*garbled\.nk does not hold an nkey user seed/,
    );
  });

  it('asks for a user when none is given', async () => {
    const error = await connectRiver({
      servers: natsUrl,
      name: 'nobody',
      maxReconnectAttempts: 0,
    }).catch((failure: unknown) => failure);

    expect(error).toBeInstanceOf(NatsAccessError);
    expect((error as Error).message).toMatch(
      /requires a user: set RIVER_NATS_USER/,
    );
  });

  it('a service started as another role stops, naming what was refused', async () => {
    const started = startServiceProcess(
      'log-collector',
      { NATS_URL: natsUrl, ...roleEnv.get('sdk') },
      dir,
    );
    await expect(started).rejects.toThrow(/exited with code 1 while starting/);
    const log = await readFile(join(dir, 'log-collector.log'), 'utf8');
    expect(log).toContain(
      "NATS user 'sdk' may not look up stream RIVER_LOGS: its role lacks " +
        'the permission to publish to \\"$JS.API.STREAM.INFO.RIVER_LOGS\\"',
    );
  });

  it('a service on a server without its streams says to run setup', async () => {
    const port = await freePort();
    const users = newRoleUsers(['default']);
    const otherDir = join(dir, 'bare');
    await writeRoleFiles(otherDir, users);
    await writeFile(
      join(otherDir, 'nats-server.conf'),
      natsServerConfig({
        listen: `127.0.0.1:${port}`,
        storeDir: join(otherDir, 'store'),
        users,
      }),
    );
    const bare = await startConfiguredNatsServer(
      join(otherDir, 'nats-server.conf'),
    );
    try {
      const env = await readEnvFile(join(otherDir, 'controller.env'));
      const started = startServiceProcess(
        'controller',
        { NATS_URL: `nats://127.0.0.1:${port}`, ...env },
        otherDir,
      );
      await expect(started).rejects.toThrow(
        /exited with code 1 while starting/,
      );
      const log = await readFile(join(otherDir, 'controller.log'), 'utf8');
      expect(log).toContain(
        'Stream RIVER_SUBMISSIONS does not exist, and this service may not ' +
          "create it: create River's streams and buckets first with " +
          '`river setup` as the NATS admin user.',
      );
    } finally {
      await bare.stop();
    }
  });
});
