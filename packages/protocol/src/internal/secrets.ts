import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { CodedError } from './coded-error.js';

/**
 * Sealing of secret values for the secrets bucket: X25519 key agreement
 * with a fresh key per value, HKDF-SHA-256, then AES-256-GCM. Whoever holds
 * the public key can seal; only the private key opens. The secret's name
 * and the envelope's header are the cipher's additional data, so a sealed
 * value moved to another name, or altered, fails to open.
 *
 * The sealed bytes, in order: the magic `RVS` and format version 1 (4
 * bytes), the fingerprint of the recipient's public key (8), the sender's
 * one-time X25519 public key (32), the AES-GCM nonce (12), the encrypted
 * UTF-8 value (as long as the value) and the AES-GCM tag (16).
 */

/** Prefix of a public key as `river secret keygen` prints it. */
export const SECRET_PUBLIC_KEY_PREFIX = 'river-secrets-public:';
/** Prefix of a private key as `river secret keygen` prints it. */
export const SECRET_PRIVATE_KEY_PREFIX = 'river-secrets-private:';

/** The largest value a secret may hold: 64 KiB, well within an env var. */
export const MAX_SECRET_VALUE_BYTES = 64 * 1024;

/** What a secret's name must match: it is also an environment variable. */
export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const MAGIC = Buffer.from([0x52, 0x56, 0x53, 0x01]);
const FINGERPRINT_BYTES = 8;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FINGERPRINT_AT = MAGIC.length;
const EPHEMERAL_AT = FINGERPRINT_AT + FINGERPRINT_BYTES;
const NONCE_AT = EPHEMERAL_AT + KEY_BYTES;
const HEADER_BYTES = NONCE_AT + NONCE_BYTES;
const HKDF_INFO = Buffer.from('river secrets v1 aes-256-gcm');

// DER wrappings of a raw X25519 key (RFC 8410), so that Node's crypto can
// take the 32 bytes a key's text carries.
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** Stable codes of {@link SecretCryptoError}. */
export const SecretCryptoErrorCode = {
  /** A key's text is not a River secrets key of the expected kind. */
  invalidKey: 'SECRET_KEY_INVALID',
  /** The value was sealed for another key pair than the one given. */
  wrongKey: 'SECRET_WRONG_KEY',
  /** The value was altered, or was sealed under another name. */
  tampered: 'SECRET_TAMPERED',
  /** The bytes are not a sealed value at all. */
  malformed: 'SECRET_MALFORMED',
  /** The value or the name cannot be a secret. */
  invalidValue: 'SECRET_VALUE_INVALID',
} as const;

/** One of {@link SecretCryptoErrorCode}'s values. */
export type SecretCryptoErrorCode =
  (typeof SecretCryptoErrorCode)[keyof typeof SecretCryptoErrorCode];

/** Sealing or opening a secret failed; `code` says why. */
export class SecretCryptoError extends CodedError<SecretCryptoErrorCode> {}

/** A parsed public key: anyone holding it may seal values. */
export interface SecretPublicKey {
  readonly kind: 'public';
  readonly key: KeyObject;
  /** Hex fingerprint naming the key pair in errors; not secret. */
  readonly fingerprint: string;
}

/** A parsed private key: the only thing that opens sealed values. */
export interface SecretPrivateKey {
  readonly kind: 'private';
  readonly key: KeyObject;
  /** The matching public key. */
  readonly publicKey: SecretPublicKey;
}

/** A new key pair as text, as `river secret keygen` prints it. */
export interface SecretKeyPairText {
  publicKey: string;
  privateKey: string;
}

/** Makes a new X25519 key pair for sealing secrets. */
export function generateSecretKeys(): SecretKeyPairText {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return {
    publicKey: SECRET_PUBLIC_KEY_PREFIX + rawPublic(publicKey).toString('hex'),
    privateKey:
      SECRET_PRIVATE_KEY_PREFIX + rawPrivate(privateKey).toString('hex'),
  };
}

/**
 * Reads a public key from its text.
 *
 * @throws SecretCryptoError (code `SECRET_KEY_INVALID`) when the text is
 *   not one, for example a private key given where the public one belongs.
 */
export function parseSecretPublicKey(text: string): SecretPublicKey {
  const raw = rawKeyOf(text.trim(), SECRET_PUBLIC_KEY_PREFIX, 'public');
  const key = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, raw]),
    format: 'der',
    type: 'spki',
  });
  return { kind: 'public', key, fingerprint: fingerprintOf(raw) };
}

/**
 * Reads a private key from its text.
 *
 * @throws SecretCryptoError (code `SECRET_KEY_INVALID`) when the text is
 *   not one.
 */
export function parseSecretPrivateKey(text: string): SecretPrivateKey {
  const raw = rawKeyOf(text.trim(), SECRET_PRIVATE_KEY_PREFIX, 'private');
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, raw]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(key);
  return {
    kind: 'private',
    key,
    publicKey: {
      kind: 'public',
      key: publicKey,
      fingerprint: fingerprintOf(rawPublic(publicKey)),
    },
  };
}

/** The public half of a private key, as text. */
export function secretPublicKeyText(privateKey: SecretPrivateKey): string {
  return (
    SECRET_PUBLIC_KEY_PREFIX +
    rawPublic(privateKey.publicKey.key).toString('hex')
  );
}

/**
 * Seals `value` for the holder of `publicKey`'s private key, bound to
 * `name`: it opens only under that name.
 *
 * @throws SecretCryptoError (code `SECRET_VALUE_INVALID`) for a bad name,
 *   an empty value, one with a NUL character or one over 64 KiB.
 */
export function sealSecret(
  name: string,
  value: string,
  publicKey: SecretPublicKey,
): Uint8Array {
  checkSecretName(name);
  const plain = Buffer.from(value, 'utf8');
  checkSecretValue(name, plain);

  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralRaw = rawPublic(ephemeral.publicKey);
  const recipientRaw = rawPublic(publicKey.key);
  const key = deriveKey(
    diffieHellman({
      privateKey: ephemeral.privateKey,
      publicKey: publicKey.key,
    }),
    ephemeralRaw,
    recipientRaw,
  );
  const nonce = randomBytes(NONCE_BYTES);
  const header = Buffer.concat([
    MAGIC,
    Buffer.from(publicKey.fingerprint, 'hex'),
    ephemeralRaw,
    nonce,
  ]);

  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(additionalData(header, name));
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([header, sealed, cipher.getAuthTag()]);
}

/**
 * Opens a value sealed by {@link sealSecret} under `name`.
 *
 * @throws SecretCryptoError with code `SECRET_WRONG_KEY` when it was sealed
 *   for another key pair, `SECRET_TAMPERED` when it was altered or sealed
 *   under another name, `SECRET_MALFORMED` when it is no sealed value.
 */
export function openSecret(
  name: string,
  sealed: Uint8Array,
  privateKey: SecretPrivateKey,
): string {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  if (
    bytes.length < HEADER_BYTES + TAG_BYTES + 1 ||
    !bytes.subarray(0, MAGIC.length).equals(MAGIC)
  ) {
    throw new SecretCryptoError(
      SecretCryptoErrorCode.malformed,
      `Secret ${name} is not a sealed River secret (${bytes.length} bytes ` +
        'without the expected header); set it again with river secret set.',
    );
  }

  const fingerprint = bytes
    .subarray(FINGERPRINT_AT, EPHEMERAL_AT)
    .toString('hex');
  const mine = privateKey.publicKey.fingerprint;
  if (fingerprint !== mine) {
    throw new SecretCryptoError(
      SecretCryptoErrorCode.wrongKey,
      `Secret ${name} was sealed for key ${fingerprint}, but this private ` +
        `key is ${mine}: set the secret again with the matching public ` +
        'key, or give the sandbox the private key it was sealed for.',
    );
  }
  const ephemeralRaw = bytes.subarray(EPHEMERAL_AT, NONCE_AT);
  const nonce = bytes.subarray(NONCE_AT, HEADER_BYTES);
  const header = bytes.subarray(0, HEADER_BYTES);
  const body = bytes.subarray(HEADER_BYTES, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);

  let plain: Buffer;
  try {
    const ephemeral = createPublicKey({
      key: Buffer.concat([SPKI_PREFIX, ephemeralRaw]),
      format: 'der',
      type: 'spki',
    });
    const key = deriveKey(
      diffieHellman({ privateKey: privateKey.key, publicKey: ephemeral }),
      ephemeralRaw,
      rawPublic(privateKey.publicKey.key),
    );
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(additionalData(header, name));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (error) {
    throw new SecretCryptoError(
      SecretCryptoErrorCode.tampered,
      `Secret ${name} failed its integrity check: the stored value was ` +
        'altered or was sealed under another name; set it again with ' +
        'river secret set.',
      error,
    );
  }
  return plain.toString('utf8');
}

/**
 * The fingerprint of the key pair a value was sealed for, which is not
 * secret; undefined for bytes that are no sealed value.
 */
export function sealedForKey(sealed: Uint8Array): string | undefined {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  if (
    bytes.length < HEADER_BYTES + TAG_BYTES ||
    !bytes.subarray(0, MAGIC.length).equals(MAGIC)
  ) {
    return undefined;
  }
  return bytes.subarray(FINGERPRINT_AT, EPHEMERAL_AT).toString('hex');
}

/**
 * Checks a secret's name.
 *
 * @throws SecretCryptoError (code `SECRET_VALUE_INVALID`) naming the rule.
 */
export function checkSecretName(name: string): void {
  if (!SECRET_NAME_PATTERN.test(name)) {
    throw new SecretCryptoError(
      SecretCryptoErrorCode.invalidValue,
      `${JSON.stringify(name)} is not a secret name: use letters, digits ` +
        "and '_', not starting with a digit, as for an environment variable.",
    );
  }
}

/** Refuses a value no environment variable can hold, or none at all. */
function checkSecretValue(name: string, plain: Buffer): void {
  let problem: string | undefined;
  if (plain.length === 0) {
    problem = 'is empty';
  } else if (plain.length > MAX_SECRET_VALUE_BYTES) {
    problem = `has ${plain.length} bytes, over the ${MAX_SECRET_VALUE_BYTES} allowed`;
  } else if (plain.includes(0)) {
    problem = 'holds a NUL character, which no environment variable can';
  }
  if (problem !== undefined) {
    throw new SecretCryptoError(
      SecretCryptoErrorCode.invalidValue,
      `The value given for secret ${name} ${problem}.`,
    );
  }
}

function rawKeyOf(
  text: string,
  prefix: string,
  kind: 'public' | 'private',
): Buffer {
  const other =
    kind === 'public' ? SECRET_PRIVATE_KEY_PREFIX : SECRET_PUBLIC_KEY_PREFIX;
  if (text.startsWith(other)) {
    throw new SecretCryptoError(
      SecretCryptoErrorCode.invalidKey,
      `A ${kind === 'public' ? 'private' : 'public'} key was given where ` +
        `the ${kind} key belongs.`,
    );
  }
  const hex = text.startsWith(prefix) ? text.slice(prefix.length) : '';
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new SecretCryptoError(
      SecretCryptoErrorCode.invalidKey,
      `The ${kind} key is not a River secrets key: it must be ${prefix} ` +
        'followed by 64 hexadecimal digits, as river secret keygen prints.',
    );
  }
  return Buffer.from(hex, 'hex');
}

function rawPublic(key: KeyObject): Buffer {
  return key
    .export({ format: 'der', type: 'spki' })
    .subarray(SPKI_PREFIX.length);
}

function rawPrivate(key: KeyObject): Buffer {
  return key
    .export({ format: 'der', type: 'pkcs8' })
    .subarray(PKCS8_PREFIX.length);
}

function fingerprintOf(rawPublicKey: Buffer): string {
  return createHash('sha256')
    .update(rawPublicKey)
    .digest()
    .subarray(0, FINGERPRINT_BYTES)
    .toString('hex');
}

function deriveKey(
  shared: Buffer,
  ephemeralRaw: Buffer,
  recipientRaw: Buffer,
): Buffer {
  // An all-zero agreement means a low-order point was sent: refuse it.
  if (shared.every((byte) => byte === 0)) {
    throw new Error('The key agreement gave an all-zero secret.');
  }
  const salt = Buffer.concat([ephemeralRaw, recipientRaw]);
  return Buffer.from(hkdfSync('sha256', shared, salt, HKDF_INFO, KEY_BYTES));
}

function additionalData(header: Buffer, name: string): Buffer {
  return Buffer.concat([header, Buffer.from(`\0${name}`, 'utf8')]);
}
