import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { dirname, join, normalize, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { ObjectStore } from '@nats-io/obj';
import type { FileRef } from '@river/protocol';
import { holdsContent } from '@river/protocol/internal';
import { DefinitionError } from '../authoring/errors.js';

/** Directories never uploaded as sources. */
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', 'dist']);

/** Build state that would describe a `dist` the upload leaves out. */
const SKIPPED_FILE_PATTERN = /\.tsbuildinfo$/;

/**
 * The workspace path of a source: its path relative to the project file's
 * directory, without leading `../` steps, so `../../src/a.c` lands at
 * `src/a.c` in every task's workspace.
 */
export function workspacePathOf(projectDir: string, absolute: string): string {
  const parts = relative(projectDir, absolute).split(sep);
  while (parts[0] === '..') {
    parts.shift();
  }
  return parts.join('/');
}

async function listFiles(path: string, into: string[]): Promise<void> {
  const info = await lstat(path);
  if (info.isDirectory()) {
    const entries = await readdir(path);
    for (const entry of entries.sort()) {
      if (!SKIPPED_DIRECTORIES.has(entry)) {
        await listFiles(join(path, entry), into);
      }
    }
  } else if (info.isFile() && !SKIPPED_FILE_PATTERN.test(path)) {
    into.push(path);
  }
}

async function digestOf(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/**
 * Uploads a project's declared sources to the artifacts object store, each
 * file under its content digest, and returns them as file references.
 *
 * @throws DefinitionError naming a declared source that does not exist.
 */
export async function uploadSources(
  projectFile: string,
  declared: readonly string[],
  store: ObjectStore,
): Promise<FileRef[]> {
  const projectDir = dirname(resolve(projectFile));
  const files: string[] = [];
  for (const source of declared) {
    const path = resolve(projectDir, normalize(source));
    try {
      await listFiles(path, files);
    } catch {
      throw new DefinitionError(
        `Source '${source}' declared by ${projectFile} does not exist ` +
          `(looked for ${path}).`,
      );
    }
  }

  const refs = new Map<string, FileRef>();
  for (const file of files) {
    const info = await lstat(file);
    const digest = await digestOf(file);
    if (!holdsContent(await store.info(digest), digest, info.size)) {
      await store.put(
        { name: digest },
        Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
      );
    }
    const path = workspacePathOf(projectDir, file);
    refs.set(path, { path, digest, size: info.size, mode: info.mode & 0o7777 });
  }
  return [...refs.values()];
}
