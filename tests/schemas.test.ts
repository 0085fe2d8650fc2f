import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/river.js';

const COMMITTED = join(REPO_ROOT, 'packages/protocol/schemas');

describe('the published JSON Schemas', () => {
  it('match the TypeBox schemas they are written from', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'river-schemas-'));
    try {
      execFileSync(
        process.execPath,
        ['packages/protocol/dist/scripts/write-schemas.js', fresh],
        { cwd: REPO_ROOT, stdio: 'pipe' },
      );
      const names = (await readdir(fresh)).sort();

      expect((await readdir(COMMITTED)).sort()).toEqual(names);
      for (const name of names) {
        const committed = await readFile(join(COMMITTED, name), 'utf8');
        const written = await readFile(join(fresh, name), 'utf8');
        expect(committed, `${name} is stale: run npm run schemas`).toBe(
          written,
        );
      }
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });
});
