import { rmSync } from 'node:fs';
import {
  chmod,
  lchown,
  mkdir,
  mkdtemp,
  readdir,
  realpath,
  rm,
} from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/** The task's temporary directory, relative to its workspace root. */
export const WORKSPACE_TMP_DIR = '.tmp';

/** The scratch directory of one attempt. */
export interface Workspace {
  /** Absolute, symlink-free path of the workspace root. */
  root: string;
  /** The task's `TMPDIR`, inside the workspace. */
  tmp: string;
}

/**
 * Creates a fresh, empty workspace under `workDir`, named after the
 * attempt so a leftover one can be traced.
 */
export async function createWorkspace(
  workDir: string,
  name: string,
): Promise<Workspace> {
  await mkdir(workDir, { recursive: true });
  const root = await realpath(await mkdtemp(join(workDir, `${name}-`)));
  const tmp = join(root, WORKSPACE_TMP_DIR);
  await mkdir(tmp);
  liveWorkspaces.add(root);
  return { root, tmp };
}

/** Workspaces of attempts still in hand, for an abrupt exit. */
const liveWorkspaces = new Set<string>();

/**
 * Removes every workspace still in use. Synchronous, so that it may run in
 * a process `exit` handler after the tasks were killed.
 */
export function removeLiveWorkspacesSync(): void {
  for (const root of liveWorkspaces) {
    try {
      rmSync(root, { recursive: true, force: true });
    } catch {
      // A workspace that resists removal is left for the operator.
    }
  }
  liveWorkspaces.clear();
}

/**
 * Removes a workspace. A task may have left directories without write
 * permission, which would stop a plain recursive removal, so on failure
 * write permission is restored and the removal tried again.
 */
export async function removeWorkspace(root: string): Promise<void> {
  liveWorkspaces.delete(root);
  try {
    await rm(root, { recursive: true, force: true });
  } catch {
    await restoreWriteAccess(root);
    await rm(root, { recursive: true, force: true });
  }
}

async function restoreWriteAccess(directory: string): Promise<void> {
  await chmod(directory, 0o700).catch(() => undefined);
  const entries = await readdir(directory, { withFileTypes: true }).catch(
    () => [],
  );
  for (const entry of entries) {
    if (entry.isDirectory()) {
      await restoreWriteAccess(join(directory, entry.name));
    }
  }
}

/**
 * Gives a workspace and everything in it to the user a task runs as,
 * without following links, so that the task may write there while the
 * sandbox, as root, can still collect and remove it.
 */
export async function handOverWorkspace(
  root: string,
  uid: number,
  gid: number,
): Promise<void> {
  await lchown(root, uid, gid);
  const entries = await readdir(root, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) {
      await handOverWorkspace(path, uid, gid);
    } else {
      await lchown(path, uid, gid);
    }
  }
}

/** Whether `path` is `root` itself or lies below it. */
export function isInside(root: string, path: string): boolean {
  const rest = relative(root, path);
  return rest === '' || (!rest.startsWith(`..${sep}`) && rest !== '..');
}

/**
 * Resolves a task's relative path against the workspace root. Returns
 * undefined when the path is absolute, leaves the workspace or names the
 * root itself; symlinks are not looked at here.
 */
export function resolveInside(root: string, path: string): string | undefined {
  if (isAbsolute(path) || path.includes('\0')) {
    return undefined;
  }
  const target = resolve(root, path);
  if (target === root || !isInside(root, target)) {
    return undefined;
  }
  return target;
}
