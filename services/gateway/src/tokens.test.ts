import { describe, expect, it } from 'vitest';
import { TokenTable } from './tokens.js';

const viewer = 'v'.repeat(20);
const operator = 'o'.repeat(20);

describe('the token table', () => {
  it('gives each token its role and refuses others', () => {
    const table = TokenTable.parse(`viewer:${viewer}, operator:${operator}`);
    expect(table.roleOf(viewer)).toBe('viewer');
    expect(table.roleOf(operator)).toBe('operator');
    expect(table.roleOf('x'.repeat(20))).toBeUndefined();
    expect(table.roleOf('')).toBeUndefined();
    expect(table.roleOf(undefined)).toBeUndefined();
  });

  it('names the entry at fault without showing its token', () => {
    expect(() => TokenTable.parse(`admin:${viewer}`)).toThrow(
      /entry 1 must start with viewer: or operator:/,
    );
    expect(() => TokenTable.parse(`viewer:${viewer},operator:short`)).toThrow(
      /entry 2 \(operator\) has 5 characters; use 16 or more/,
    );
    expect(() => TokenTable.parse(' , ')).toThrow(/names no token/);
  });
});
