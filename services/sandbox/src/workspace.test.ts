import { existsSync } from 'node:fs';
import {
  chmod,
  mkdir,
  mkdtemp,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createWorkspace,
  removeWorkspace,
  resolveInside,
} from './workspace.js';

let workDir: string | undefined;

afterEach(async () => {
  if (workDir !== undefined) {
    await rm(workDir, { recursive: true, force: true });
  }
});

describe('workspaces', () => {
  it('resolves relative paths and refuses those that leave the root', () => {
    expect(resolveInside('/ws', 'a/b.txt')).toBe('/ws/a/b.txt');
    expect(resolveInside('/ws', 'a/../b')).toBe('/ws/b');
    expect(resolveInside('/ws', '..x/y')).toBe('/ws/..x/y');
    expect(resolveInside('/ws', '../ws2/x')).toBeUndefined();
    expect(resolveInside('/ws', 'a/../../x')).toBeUndefined();
    expect(resolveInside('/ws', '/etc/passwd')).toBeUndefined();
    expect(resolveInside('/ws', '.')).toBeUndefined();
  });

  it('creates a fresh workspace with a temp directory in it', async () => {
    workDir = await mkdtemp(join(tmpdir(), 'river-ws-test-'));

    const first = await createWorkspace(workDir, 'run.task.1');
    const second = await createWorkspace(workDir, 'run.task.1');

    expect(first.root).not.toBe(second.root);
    expect(first.tmp).toBe(join(first.root, '.tmp'));
    expect(existsSync(first.tmp)).toBe(true);
  });

  it('remakes a removed work directory and gives symlink-free roots', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'river-ws-test-'));
    workDir = parent;
    const real = join(parent, 'real');
    const link = join(parent, 'link');
    await mkdir(real);
    await symlink(real, link);

    const first = await createWorkspace(join(link, 'work'), 'run.task.1');
    await rm(join(real, 'work'), { recursive: true });
    const second = await createWorkspace(join(link, 'work'), 'run.task.2');

    expect(first.root.startsWith(join(real, 'work'))).toBe(true);
    expect(second.root.startsWith(join(real, 'work'))).toBe(true);
    expect(existsSync(second.tmp)).toBe(true);
  });

  // Root may remove anything, so the test proves nothing when run as root.
  it.skipIf(process.getuid?.() === 0)(
    'removes a workspace even when the task locked a directory',
    async () => {
      workDir = await mkdtemp(join(tmpdir(), 'river-ws-test-'));
      const { root } = await createWorkspace(workDir, 'locked');
      await mkdir(join(root, 'locked/inner'), { recursive: true });
      await writeFile(join(root, 'locked/inner/file'), 'x');
      await chmod(join(root, 'locked/inner'), 0o500);
      await chmod(join(root, 'locked'), 0o500);

      await removeWorkspace(root);

      expect(existsSync(root)).toBe(false);
    },
  );
});
