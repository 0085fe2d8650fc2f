import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

describe('the built typebox module', () => {
  it('is one bundled file that loads no TypeBox module of its own', async () => {
    const built = await readFile(
      new URL('../dist/typebox.js', import.meta.url),
      'utf8',
    );
    expect(built).not.toMatch(/from\s+["']typebox/);
    expect(built).not.toMatch(/import\(\s*["']typebox/);
    const { Compile, Type } = await import('../dist/typebox.js');
    const validator = Compile(Type.Object({ n: Type.Integer() }));
    expect(validator.Check({ n: 1 })).toBe(true);
    expect(validator.Check({ n: 'one' })).toBe(false);
  });
});
