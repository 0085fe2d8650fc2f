import type { FileRef } from '@river/protocol';

function normalizeDirectory(directory: string): string {
  return directory.replace(/^\.?\/+/, '').replace(/\/+$/, '');
}

/**
 * Places files under another directory of the receiving task's workspace.
 *
 * @example
 * ```ts
 * await ctx.sh('make test', { inputs: placeUnder('build', built.files) });
 * ```
 */
export function placeUnder(
  directory: string,
  files: readonly FileRef[],
): FileRef[] {
  const prefix = normalizeDirectory(directory);
  return files.map((file) => ({
    ...file,
    path: prefix === '' ? file.path : `${prefix}/${file.path}`,
  }));
}

/**
 * Keeps the files under `directory` and makes their paths relative to it.
 *
 * @example
 * ```ts
 * const headers = takeFrom('include', configured.files);
 * ```
 */
export function takeFrom(
  directory: string,
  files: readonly FileRef[],
): FileRef[] {
  const prefix = `${normalizeDirectory(directory)}/`;
  return files
    .filter((file) => file.path.startsWith(prefix))
    .map((file) => ({ ...file, path: file.path.slice(prefix.length) }));
}
