import { describe, expect, it } from 'vitest';
import {
  generateSecretKeys,
  MAX_SECRET_VALUE_BYTES,
  openSecret,
  parseSecretPrivateKey,
  parseSecretPublicKey,
  SecretCryptoError,
  SecretCryptoErrorCode,
  sealedForKey,
  sealSecret,
  secretPublicKeyText,
} from './secrets.js';

function keys() {
  const text = generateSecretKeys();
  return {
    text,
    publicKey: parseSecretPublicKey(text.publicKey),
    privateKey: parseSecretPrivateKey(text.privateKey),
  };
}

/** The error `action` throws, which must be a SecretCryptoError. */
function thrown(action: () => unknown): SecretCryptoError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretCryptoError);
    return error as SecretCryptoError;
  }
  throw new Error('Expected an error, but none was thrown.');
}

describe('secret sealing', () => {
  it('opens with the private key what the public key sealed', () => {
    const { publicKey, privateKey } = keys();
    const value = 'line one\nlíne twö ✓\n';

    const sealed = sealSecret('API_TOKEN', value, publicKey);

    expect(openSecret('API_TOKEN', sealed, privateKey)).toBe(value);
  });

  it('never holds the value in clear, and seals it anew each time', () => {
    const { publicKey } = keys();
    const value = 'hunter2-hunter2-hunter2';

    const first = Buffer.from(sealSecret('TOKEN', value, publicKey));
    const second = Buffer.from(sealSecret('TOKEN', value, publicKey));

    expect(first.includes(value)).toBe(false);
    expect(first.equals(second)).toBe(false);
  });

  it('tells which key pair a value was sealed for', () => {
    const { publicKey } = keys();

    const sealed = sealSecret('TOKEN', 'value-1234', publicKey);

    expect(sealedForKey(sealed)).toBe(publicKey.fingerprint);
    expect(sealedForKey(Buffer.from('plain'))).toBe(undefined);
  });

  it('derives the same public key from the private key', () => {
    const { text, privateKey } = keys();

    expect(secretPublicKeyText(privateKey)).toBe(text.publicKey);
  });

  it('refuses a value moved to another name', () => {
    const { publicKey, privateKey } = keys();
    const sealed = sealSecret('DEPLOY_KEY', 'value-1234', publicKey);

    const error = thrown(() => openSecret('OTHER_KEY', sealed, privateKey));

    expect(error.code).toBe(SecretCryptoErrorCode.tampered);
    expect(error.message).toContain('OTHER_KEY');
    expect(error.message).toMatch(/altered or was sealed under another name/);
  });

  it('refuses a value altered at any byte', () => {
    const { publicKey, privateKey } = keys();
    const sealed = Buffer.from(sealSecret('TOKEN', 'abcdefgh', publicKey));

    for (let at = 0; at < sealed.length; at++) {
      const altered = Buffer.from(sealed);
      altered[at] = (altered[at] ?? 0) ^ 0x01;
      const error = thrown(() => openSecret('TOKEN', altered, privateKey));
      // The magic and the key fingerprint have errors of their own.
      const expected =
        at < 4
          ? SecretCryptoErrorCode.malformed
          : at < 12
            ? SecretCryptoErrorCode.wrongKey
            : SecretCryptoErrorCode.tampered;
      expect(error.code, `byte ${at}`).toBe(expected);
      expect(error.message).toContain('TOKEN');
    }
  });

  it('says which key a value was sealed for when given another one', () => {
    const mine = keys();
    const theirs = keys();
    const sealed = sealSecret('TOKEN', 'value-1234', theirs.publicKey);

    const error = thrown(() => openSecret('TOKEN', sealed, mine.privateKey));

    expect(error.code).toBe(SecretCryptoErrorCode.wrongKey);
    expect(error.message).toContain(theirs.publicKey.fingerprint);
    expect(error.message).toContain(mine.privateKey.publicKey.fingerprint);
  });

  it('refuses bytes that are no sealed value', () => {
    const { privateKey } = keys();

    const error = thrown(() =>
      openSecret('TOKEN', Buffer.from('plain text value'), privateKey),
    );

    expect(error.code).toBe(SecretCryptoErrorCode.malformed);
  });

  it('refuses a private key given as the public one, and the reverse', () => {
    const { text } = keys();

    expect(thrown(() => parseSecretPublicKey(text.privateKey)).message).toBe(
      'A private key was given where the public key belongs.',
    );
    expect(thrown(() => parseSecretPrivateKey(text.publicKey)).code).toBe(
      SecretCryptoErrorCode.invalidKey,
    );
    expect(thrown(() => parseSecretPublicKey('abc')).message).toMatch(
      /not a River secrets key/,
    );
  });

  it('refuses names and values no environment variable can hold', () => {
    const { publicKey } = keys();

    expect(thrown(() => sealSecret('1ABC', 'x', publicKey)).message).toMatch(
      /is not a secret name/,
    );
    expect(thrown(() => sealSecret('A-B', 'x', publicKey)).code).toBe(
      SecretCryptoErrorCode.invalidValue,
    );
    expect(thrown(() => sealSecret('A', '', publicKey)).message).toMatch(
      /is empty/,
    );
    expect(thrown(() => sealSecret('A', 'a\0b', publicKey)).message).toMatch(
      /NUL/,
    );
    const big = 'x'.repeat(MAX_SECRET_VALUE_BYTES + 1);
    expect(thrown(() => sealSecret('A', big, publicKey)).message).toMatch(
      /over the 65536 allowed/,
    );
  });
});
