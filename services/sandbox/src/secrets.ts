import { readFile } from 'node:fs/promises';
import { Buckets, type TaskSpec } from '@river/protocol';
import {
  openSecret,
  parseSecretPrivateKey,
  type RiverConnection,
  SecretCryptoError,
  type SecretPrivateKey,
} from '@river/protocol/internal';
import { AttemptFailedError, ConfigError } from './errors.js';

/** The variable holding the sandbox's private key for secrets. */
export const SECRETS_PRIVATE_KEY_VARIABLE = 'RIVER_SECRETS_PRIVATE_KEY';
/** The variable naming a file that holds that private key instead. */
export const SECRETS_PRIVATE_KEY_FILE_VARIABLE =
  'RIVER_SECRETS_PRIVATE_KEY_FILE';

type KeyValueManager = RiverConnection['kvm'];
type SecretsBucket = Awaited<ReturnType<KeyValueManager['open']>>;

/** Where the sandbox's private key comes from, as its settings say. */
export interface SecretsKeySettings {
  secretsPrivateKey?: string | undefined;
  secretsPrivateKeyFile?: string | undefined;
}

/** What a task granted secrets gets: its environment and what to mask. */
export interface SecretGrant {
  /** Each granted secret's value under its name. */
  env: Record<string, string>;
  /** The values, for the output masker. */
  values: string[];
  /**
   * Each secret's version, the revision of its entry in the bucket: it
   * changes whenever the value is set again, so it may key a cache
   * without revealing anything of the value.
   */
  versions: Record<string, number>;
}

/** A grant, or why the attempt cannot have it. */
export type GrantResult =
  | { ok: true; grant: SecretGrant }
  | { ok: false; error: AttemptFailedError };

const NO_SECRETS: SecretGrant = { env: {}, values: [], versions: {} };

/**
 * Reads the sandbox's private key from its settings: the key itself or a
 * file holding it. Undefined when neither is set, so that the sandbox
 * still runs tasks that are granted no secret.
 *
 * @throws ConfigError naming the variable when both are set, the file
 *   cannot be read or the text is not a private key. The message never
 *   quotes the key.
 */
export async function loadSecretsKey(
  settings: SecretsKeySettings,
): Promise<SecretPrivateKey | undefined> {
  const { secretsPrivateKey: text, secretsPrivateKeyFile: file } = settings;
  if (text !== undefined && file !== undefined) {
    throw new ConfigError(
      SECRETS_PRIVATE_KEY_VARIABLE,
      `Both ${SECRETS_PRIVATE_KEY_VARIABLE} and ` +
        `${SECRETS_PRIVATE_KEY_FILE_VARIABLE} are set: keep one of them.`,
    );
  }
  if (text !== undefined) {
    return parseKey(text, SECRETS_PRIVATE_KEY_VARIABLE);
  }
  if (file === undefined) {
    return undefined;
  }

  let fromFile: string;
  try {
    fromFile = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      SECRETS_PRIVATE_KEY_FILE_VARIABLE,
      `${SECRETS_PRIVATE_KEY_FILE_VARIABLE} names ${file}, which cannot ` +
        `be read: ${(error as Error).message}.`,
    );
  }
  return parseKey(fromFile, `${SECRETS_PRIVATE_KEY_FILE_VARIABLE} (${file})`);
}

function parseKey(text: string, where: string): SecretPrivateKey {
  try {
    return parseSecretPrivateKey(text);
  } catch (error) {
    if (error instanceof SecretCryptoError) {
      throw new ConfigError(where, `${where}: ${error.message}`);
    }
    throw error;
  }
}

/**
 * Reads secrets from the secrets bucket and opens them with the sandbox's
 * private key. The values live only in this process's memory for the
 * attempt that was granted them.
 */
export class SecretReader {
  readonly #kvm: KeyValueManager;
  readonly #key: SecretPrivateKey | undefined;
  #bucket: Promise<SecretsBucket> | undefined;

  constructor(kvm: KeyValueManager, key: SecretPrivateKey | undefined) {
    this.#kvm = kvm;
    this.#key = key;
  }

  /** The fingerprint of the key pair this sandbox opens secrets with. */
  get keyFingerprint(): string | undefined {
    return this.#key?.publicKey.fingerprint;
  }

  /**
   * One secret's value and version.
   *
   * @throws AttemptFailedError (reason `secret-unavailable`) naming the
   *   secret when the sandbox holds no key, the secret is not set, or it
   *   cannot be read or opened.
   */
  async read(name: string): Promise<{ value: string; version: number }> {
    if (this.#key === undefined) {
      throw unavailable(
        name,
        'this sandbox holds no private key for secrets (set ' +
          `${SECRETS_PRIVATE_KEY_VARIABLE} or ` +
          `${SECRETS_PRIVATE_KEY_FILE_VARIABLE})`,
      );
    }

    const entry = await this.#get(name);
    if (
      entry === null ||
      entry.operation !== 'PUT' ||
      entry.value.length === 0
    ) {
      throw unavailable(
        name,
        `it is not set (river secret set ${name} stores it)`,
      );
    }
    try {
      return {
        value: openSecret(name, entry.value, this.#key),
        version: entry.revision,
      };
    } catch (error) {
      // Its message names the secret and says which key or check failed.
      const message =
        error instanceof Error ? error.message : `${String(error)}.`;
      throw new AttemptFailedError('secret-unavailable', name, message, error);
    }
  }

  async #get(name: string) {
    try {
      this.#bucket ??= this.#kvm.open(Buckets.secrets);
      return await (await this.#bucket).get(name);
    } catch (error) {
      this.#bucket = undefined;
      const why = (
        error instanceof Error ? error.message : String(error)
      ).replace(/\.$/, '');
      if (/stream not found/i.test(why)) {
        throw unavailable(
          name,
          `no secret has been set on this NATS server (the ` +
            `${Buckets.secrets} bucket does not exist)`,
          error,
        );
      }
      throw unavailable(
        name,
        `the secrets bucket could not be read: ${why}`,
        error,
      );
    }
  }
}

/**
 * Fetches and opens every secret `spec` is granted. A name that the
 * task's declared `env` also sets is refused, since one of the two values
 * would silently win. Never throws for a fault of the task or of its
 * secrets: the result says why the attempt cannot go on.
 */
export async function grantSecrets(
  reader: SecretReader | undefined,
  spec: TaskSpec,
): Promise<GrantResult> {
  const names = [...new Set(spec.secrets ?? [])];
  if (names.length === 0) {
    return { ok: true, grant: NO_SECRETS };
  }

  const clash = names.find((name) => Object.hasOwn(spec.env, name));
  if (clash !== undefined) {
    const error = new AttemptFailedError(
      'secret-unavailable',
      clash,
      `Secret ${clash} is granted to the task, but its env also sets ` +
        `${clash}: remove one of the two.`,
    );
    return { ok: false, error };
  }

  const grant: SecretGrant = { env: {}, values: [], versions: {} };
  try {
    for (const name of names) {
      if (reader === undefined) {
        throw unavailable(name, 'this sandbox has no secrets store');
      }
      const { value, version } = await reader.read(name);
      grant.env[name] = value;
      grant.values.push(value);
      grant.versions[name] = version;
    }
  } catch (error) {
    if (error instanceof AttemptFailedError) {
      return { ok: false, error };
    }
    throw error;
  }
  return { ok: true, grant };
}

function unavailable(
  name: string,
  why: string,
  cause?: unknown,
): AttemptFailedError {
  return new AttemptFailedError(
    'secret-unavailable',
    name,
    `Secret ${name} is unavailable: ${why}.`,
    cause,
  );
}
