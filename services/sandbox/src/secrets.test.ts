import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskSpec } from '@river/protocol';
import { generateSecretKeys } from '@river/protocol/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttemptFailedError, ConfigError } from './errors.js';
import { grantSecrets, loadSecretsKey } from './secrets.js';

const keys = generateSecretKeys();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'river-secrets-key-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The error `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('Expected a rejection, but it resolved.');
}

function spec(fields: Partial<TaskSpec>): TaskSpec {
  return {
    command: 'true',
    env: {},
    cwd: '',
    timeoutMs: 1_000,
    inputs: [],
    outputs: [],
    pool: 'default',
    maxAttempts: 1,
    ...fields,
  };
}

describe("the sandbox's secrets key", () => {
  it('is read from its variable or from a file', async () => {
    const file = join(dir, 'secrets.key');
    await writeFile(file, `${keys.privateKey}\n`, { mode: 0o600 });

    const fromText = await loadSecretsKey({
      secretsPrivateKey: keys.privateKey,
    });
    const fromFile = await loadSecretsKey({ secretsPrivateKeyFile: file });

    expect(fromText?.publicKey.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(fromFile?.publicKey.fingerprint).toBe(
      fromText?.publicKey.fingerprint,
    );
    expect(await loadSecretsKey({})).toBe(undefined);
  });

  it('is refused, naming the variable and never quoting the key', async () => {
    const both = await rejection(
      loadSecretsKey({
        secretsPrivateKey: keys.privateKey,
        secretsPrivateKeyFile: '/x',
      }),
    );
    const publicInstead = await rejection(
      loadSecretsKey({ secretsPrivateKey: keys.publicKey }),
    );
    const missingFile = await rejection(
      loadSecretsKey({ secretsPrivateKeyFile: join(dir, 'none.key') }),
    );
    const unreadable = join(dir, 'garbled.key');
    await writeFile(unreadable, 'river-secrets-private:nothex');
    await chmod(unreadable, 0o600);
    const garbled = await rejection(
      loadSecretsKey({ secretsPrivateKeyFile: unreadable }),
    );

    expect(both).toBeInstanceOf(ConfigError);
    expect(both.message).toMatch(/Both RIVER_SECRETS_PRIVATE_KEY and/);
    expect(publicInstead.message).toBe(
      'RIVER_SECRETS_PRIVATE_KEY: A public key was given where the private ' +
        'key belongs.',
    );
    expect(missingFile.message).toMatch(
      /^RIVER_SECRETS_PRIVATE_KEY_FILE names .*none\.key, which cannot be read/,
    );
    expect(garbled.message).toMatch(/is not a River secrets key/);
    for (const error of [both, publicInstead, missingFile, garbled]) {
      expect(error.message).not.toContain(keys.privateKey.slice(-64));
    }
  });
});

describe('granting secrets', () => {
  it('grants nothing, and reads nothing, to a task granted none', async () => {
    const granted = await grantSecrets(undefined, spec({}));

    expect(granted).toEqual({
      ok: true,
      grant: { env: {}, values: [], versions: {} },
    });
  });

  it('refuses a granted name that the env declares too', async () => {
    const granted = await grantSecrets(
      undefined,
      spec({ env: { TOKEN: 'declared' }, secrets: ['TOKEN'] }),
    );

    expect(granted.ok).toBe(false);
    const error = granted.ok ? undefined : granted.error;
    expect(error).toBeInstanceOf(AttemptFailedError);
    expect(error?.reason).toBe('secret-unavailable');
    expect(error?.message).toBe(
      'Secret TOKEN is granted to the task, but its env also sets TOKEN: ' +
        'remove one of the two.',
    );
  });
});
