import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedRoleEnv, type LocalStack } from '@river/cli';
import {
  Buckets,
  decode,
  type RunEvent,
  Subjects,
  type TaskDispatch,
} from '@river/protocol';
import {
  connectRiver,
  generateSecretKeys,
  type RiverConnection,
} from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliResult,
  REPO_ROOT,
  river,
  runIdOf,
  startTestStack,
} from '../helpers/river.js';

const CLI = fileURLToPath(
  new URL('../../packages/cli/dist/main.js', import.meta.url),
);
const PIPELINE = 'tests/security/secrets-pipeline.ts';

const TOKEN = 'tok-3f9a1c7e55d2b8';
const KEY_LINES = [
  '-----BEGIN TEST KEY-----',
  'MIIBOgIBAAJBAKj34GkxFhD9',
  'Zm9vYmFyYmF6cXV4',
  '-----END TEST KEY-----',
];
/** A multi-line secret, set from a file with its final line break. */
const MULTI = `${KEY_LINES.join('\n')}\n`;

/**
 * Text that must never be seen in clear: the values, each line, and the
 * pieces the tasks print apart (a chunk may hold just one of them).
 */
const NEEDLES = [
  TOKEN,
  TOKEN.slice(0, 8),
  TOKEN.slice(8),
  MULTI,
  ...KEY_LINES,
  KEY_LINES[2]?.slice(5) as string,
];

const keys = generateSecretKeys();
const otherKeys = generateSecretKeys();

let stack: LocalStack;
let storeDir: string;
let workDir: string;
let nats: RiverConnection;
let client: RiverClient;
/** Every message that crossed the NATS server while the test ran. */
const wire: Array<{ subject: string; data: Buffer }> = [];

/**
 * Runs the real `river` CLI as the `sdk` user, as {@link river} does, with
 * extra environment and standard input.
 */
function riverWith(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NATS_URL: stack.natsUrl,
        ...embeddedRoleEnv(stack.natsUrl, 'sdk'),
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data) => {
      stdout += data;
    });
    child.stderr.on('data', (data) => {
      stderr += data;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

const withPublicKey = (publicKey = keys.publicKey) => ({
  env: { RIVER_SECRETS_PUBLIC_KEY: publicKey },
});

/** The needles found in `bytes`, which should be none. */
function leaks(bytes: Buffer | string): string[] {
  const haystack = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return NEEDLES.filter((needle) => haystack.includes(needle));
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

beforeAll(async () => {
  storeDir = await mkdtemp(join(tmpdir(), 'river-secrets-store-'));
  workDir = await mkdtemp(join(tmpdir(), 'river-secrets-files-'));
  stack = await startTestStack({
    storeDir,
    env: { RIVER_SECRETS_PRIVATE_KEY: keys.privateKey },
  });
  nats = await connectRiver({ servers: stack.natsUrl, name: 'secrets-test' });
  nats.nc.subscribe('>', {
    callback: (error, msg) => {
      if (error === null) {
        wire.push({ subject: msg.subject, data: Buffer.from(msg.data) });
      }
    },
  });
  client = await RiverClient.connect({ servers: stack.natsUrl });
});

afterAll(async () => {
  await client?.close();
  await nats?.nc.close();
  await stack?.stop();
  await rm(storeDir, { recursive: true, force: true });
  await rm(workDir, { recursive: true, force: true });
});

describe('river secret', () => {
  it('stores values from standard input and from a file', async () => {
    const file = join(workDir, 'key.pem');
    await writeFile(file, MULTI);

    const token = await riverWith(['secret', 'set', 'TOKEN'], {
      ...withPublicKey(),
      input: `${TOKEN}\n`,
    });
    const multi = await riverWith(
      ['secret', 'set', 'MULTI', '--from-file', file],
      withPublicKey(),
    );
    const other = await riverWith(['secret', 'set', 'FOR_OTHER_KEY'], {
      ...withPublicKey(otherKeys.publicKey),
      input: 'sealed-for-another-sandbox',
    });

    expect(token.stderr).toBe('');
    expect(token.stdout).toMatch(/^Secret TOKEN set \(version \d+\)\.\n$/);
    expect(multi.stdout).toMatch(/^Secret MULTI set \(version \d+\)\.\n$/);
    expect(other.code).toBe(0);
  });

  it('lists names, versions and keys, never a value', async () => {
    const table = await river(['secret', 'list'], stack.natsUrl);
    const json = await river(['secret', 'list', '--json'], stack.natsUrl);

    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME +VERSION +UPDATED +SEALED FOR KEY\n/);
    expect(table.stdout).toMatch(/\nTOKEN +\d+ +20\d\d-.+Z +[0-9a-f]{16}\n/);
    const rows = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { name: string; key: string });
    expect(rows.map((row) => row.name)).toEqual([
      'FOR_OTHER_KEY',
      'MULTI',
      'TOKEN',
    ]);
    expect(rows[0]?.key).not.toBe(rows[2]?.key);
    expect(leaks(table.stdout + table.stderr + json.stdout)).toEqual([]);
  });

  it('refuses a bad name, a missing key and an empty value', async () => {
    const badName = await riverWith(['secret', 'set', '1TOKEN'], {
      ...withPublicKey(),
      input: 'x',
    });
    const noKey = await riverWith(['secret', 'set', 'TOKEN2'], {
      env: { RIVER_SECRETS_PUBLIC_KEY: '' },
      input: 'x',
    });
    const privateAsPublic = await riverWith(['secret', 'set', 'TOKEN2'], {
      ...withPublicKey(keys.privateKey),
      input: 'x',
    });
    const empty = await riverWith(['secret', 'set', 'TOKEN2'], withPublicKey());
    const unknown = await river(['secret', 'rm', 'NO_SUCH'], stack.natsUrl);
    const action = await river(['secret', 'show', 'TOKEN'], stack.natsUrl);

    expect(badName.code).toBe(1);
    expect(badName.stderr).toMatch(/"1TOKEN" is not a secret name/);
    expect(noKey.stderr).toMatch(/RIVER_SECRETS_PUBLIC_KEY is not set/);
    expect(privateAsPublic.stderr).toMatch(
      /A private key was given where the public key belongs/,
    );
    expect(empty.stderr).toMatch(/The value given for secret TOKEN2 is empty/);
    expect(unknown.stderr).toMatch(/Secret NO_SUCH is not set/);
    expect(action.code).toBe(2);
    expect(action.stderr).toMatch(/river secret takes set, list, rm, keygen/);
  });
});

describe('a run with secrets', () => {
  let runId: string;
  let events: RunEvent[];
  let finished: Map<string, Extract<RunEvent, { type: 'task.finished' }>>;

  beforeAll(async () => {
    // A sealed value copied under another name must not open there.
    const bucket = await nats.kvm.open(Buckets.secrets);
    const sealed = await bucket.get('TOKEN');
    await bucket.put('MOVED', sealed?.value ?? new Uint8Array());

    const run = await river(['run', PIPELINE], stack.natsUrl);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(leaks(run.stdout + run.stderr)).toEqual([]);
    runId = runIdOf(run.stdout);

    events = [];
    for await (const event of client.watch(runId, { follow: false })) {
      events.push(event);
    }
    finished = new Map();
    for (const event of events) {
      if (event.type === 'task.finished') {
        finished.set(event.job, event);
      }
    }
  });

  it('gives a granted task the value, masked wherever it prints it', () => {
    const plain = finished.get('plain')?.outcome;
    const digest = createHash('sha256').update(TOKEN).digest('hex');

    expect(plain?.stdout).toBe(`token=***\n${digest}  -\n`);
    expect(plain?.stderr).toBe('***');
  });

  it('masks a value printed in two writes apart', () => {
    expect(finished.get('split')?.outcome.stdout).toBe('***\n');
  });

  it('masks a multi-line value whole and each line alone', () => {
    expect(finished.get('multi')?.outcome.stdout).toBe('******\n***\n');
  });

  it('gives a task that is not granted a secret nothing of it', () => {
    expect(finished.get('ungranted')?.outcome.stdout).toBe('[|]0\n');
  });

  it('fails a task whose secret is missing, naming the secret', () => {
    const outcome = finished.get('missing')?.outcome;

    expect(outcome?.reason).toBe('secret-unavailable');
    expect(outcome?.message).toBe(
      'Secret NOT_SET is unavailable: it is not set (river secret set ' +
        'NOT_SET stores it).',
    );
  });

  it('fails a task whose secret was sealed for another key pair', () => {
    const outcome = finished.get('wrong-key')?.outcome;

    expect(outcome?.reason).toBe('secret-unavailable');
    expect(outcome?.message).toMatch(
      /^Secret FOR_OTHER_KEY was sealed for key [0-9a-f]{16}, but this private key is [0-9a-f]{16}/,
    );
  });

  it('fails a task whose secret was moved from another name', () => {
    const outcome = finished.get('moved')?.outcome;

    expect(outcome?.reason).toBe('secret-unavailable');
    expect(outcome?.message).toMatch(/^Secret MOVED failed its integrity/);
  });

  it('fails a task whose env declares a granted name', () => {
    const outcome = finished.get('clash')?.outcome;

    expect(outcome?.reason).toBe('secret-unavailable');
    expect(outcome?.message).toBe(
      'Secret TOKEN is granted to the task, but its env also sets TOKEN: ' +
        'remove one of the two.',
    );
  });

  it('stores logs with the values masked', async () => {
    const logs: Buffer[] = [];
    for await (const chunk of client.logs(runId)) {
      logs.push(Buffer.from(chunk.data));
    }
    const all = Buffer.concat(logs);

    expect(all.includes('token=***\n')).toBe(true);
    expect(leaks(all)).toEqual([]);
  });

  it('keeps every event of the run free of the values', () => {
    const requested = events.filter((event) => event.type === 'task.requested');

    expect(requested.length).toBe(8);
    expect(leaks(JSON.stringify(events))).toEqual([]);
  });

  it('sends dispatches with secret names only', () => {
    const dispatches = wire
      .filter((msg) => msg.subject === Subjects.dispatch('default'))
      .map((msg) => decode('taskDispatch', msg.subject, msg.data))
      .filter((dispatch: TaskDispatch) => dispatch.runId === runId);
    const plain = dispatches.find((dispatch) => dispatch.job === 'plain');

    expect(new Set(dispatches.map((dispatch) => dispatch.taskId)).size).toBe(8);
    expect(plain?.spec.secrets).toEqual(['TOKEN']);
    expect(plain?.spec.env).toEqual({});
  });

  it('never sends a value over NATS in clear', () => {
    const found = wire.filter((msg) => leaks(msg.data).length > 0);

    expect(wire.length).toBeGreaterThan(100);
    expect(found.map((msg) => msg.subject)).toEqual([]);
  });

  it("leaves no value in the server's store or the services' logs", async () => {
    const files = [
      ...(await filesUnder(storeDir)),
      ...(await filesUnder(stack.logDir)),
    ];
    const found: string[] = [];
    for (const file of files) {
      if (leaks(await readFile(file)).length > 0) {
        found.push(file);
      }
    }

    expect(files.some((file) => file.includes('KV_river-secrets'))).toBe(true);
    expect(found).toEqual([]);
  });

  it('keeps every stream and bucket message free of the values', async () => {
    const found: string[] = [];
    let scanned = 0;
    for await (const info of nats.jsm.streams.list()) {
      const { first_seq: first, last_seq: last } = info.state;
      for (let seq = first; seq <= last && last > 0; seq++) {
        const message = await nats.jsm.streams
          .getMessage(info.config.name, { seq })
          .catch(() => null);
        if (message === null) {
          continue;
        }
        scanned++;
        const headers = JSON.stringify([...(message.header ?? [])]);
        if (leaks(Buffer.from(message.data)).length + leaks(headers).length) {
          found.push(`${info.config.name} #${seq} (${message.subject})`);
        }
      }
    }

    expect(scanned).toBeGreaterThan(50);
    expect(found).toEqual([]);
  });
});

describe('river secret rm', () => {
  it('removes a secret and every stored revision of it', async () => {
    const removed = await river(['secret', 'rm', 'TOKEN'], stack.natsUrl);
    const list = await river(['secret', 'list'], stack.natsUrl);
    const bucket = await nats.kvm.open(Buckets.secrets);
    const history = [];
    for await (const entry of await bucket.history({ key: 'TOKEN' })) {
      history.push(entry);
    }

    expect(removed.stdout).toBe('Secret TOKEN removed.\n');
    expect(list.stdout).not.toMatch(/\nTOKEN /);
    expect(list.stdout).toMatch(/\nMULTI /);
    expect(history.filter((entry) => entry.operation === 'PUT')).toEqual([]);
  });
});
