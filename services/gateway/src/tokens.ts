import { createHash, timingSafeEqual } from 'node:crypto';
import { SettingsError } from '@river/protocol/internal';

/** What a token lets its holder do: read, or also cancel and retry. */
export type Role = 'viewer' | 'operator';

/** Shorter tokens could be guessed; `river dev` makes 32-byte ones. */
export const MIN_TOKEN_LENGTH = 16;

const VARIABLE = 'RIVER_GATEWAY_TOKENS';

/** The access tokens the gateway accepts, each with its role. */
export class TokenTable {
  readonly #entries: { digest: Buffer; role: Role }[];

  private constructor(entries: { digest: Buffer; role: Role }[]) {
    this.#entries = entries;
  }

  /**
   * Reads `viewer:<token>,operator:<token>` (any number of each).
   *
   * @throws SettingsError naming `RIVER_GATEWAY_TOKENS` and the entry at
   *   fault, without repeating any token in the message.
   */
  static parse(text: string): TokenTable {
    const entries = text
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '')
      .map((entry, index) => {
        const colon = entry.indexOf(':');
        const role = entry.slice(0, colon);
        const token = entry.slice(colon + 1);
        if (colon < 0 || (role !== 'viewer' && role !== 'operator')) {
          throw new SettingsError(
            VARIABLE,
            `${VARIABLE}: entry ${index + 1} must start with viewer: or ` +
              'operator: followed by the token.',
          );
        }
        if (token.length < MIN_TOKEN_LENGTH) {
          throw new SettingsError(
            VARIABLE,
            `${VARIABLE}: the token of entry ${index + 1} (${role}) has ` +
              `${token.length} characters; use ${MIN_TOKEN_LENGTH} or more.`,
          );
        }
        return { digest: digestOf(token), role: role as Role };
      });
    if (entries.length === 0) {
      throw new SettingsError(VARIABLE, `${VARIABLE} names no token.`);
    }
    return new TokenTable(entries);
  }

  /** The role of `token`, or undefined when it is not one of the table's. */
  roleOf(token: string | undefined): Role | undefined {
    if (token === undefined || token === '') {
      return undefined;
    }
    // Digests have one length, so comparing them takes the same time
    // whatever the token, and every entry is compared.
    const digest = digestOf(token);
    let found: Role | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, digest)) {
        found ??= entry.role;
      }
    }
    return found;
  }
}

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
