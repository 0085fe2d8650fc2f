import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Where programs are looked for besides the sandbox's PATH. */
const SYSTEM_BIN_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/**
 * The absolute path of an executable program of the host, looked up in
 * the sandbox's PATH and then in the system's bin directories.
 */
export async function findProgram(name: string): Promise<string | undefined> {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== ''),
    ...SYSTEM_BIN_DIRS,
  ];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // Not here.
    }
  }
  return undefined;
}
