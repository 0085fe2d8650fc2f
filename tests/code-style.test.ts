import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/river.js';

describe('the code base', () => {
  it('passes the formatter and linter with no findings', () => {
    let output = '';
    let failed = false;
    try {
      output = execFileSync('npx', ['biome', 'check', '.'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (error) {
      failed = true;
      const { stdout, stderr } = error as { stdout: string; stderr: string };
      output = `${stdout}${stderr}`;
    }

    expect(failed, output).toBe(false);
  });
});
