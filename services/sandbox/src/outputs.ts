import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { FileRef } from '@river/protocol';
import { holdsContent } from '@river/protocol/internal';
import { AttemptFailedError } from './errors.js';
import type { ArtifactStore } from './nats-types.js';
import { isInside, resolveInside } from './workspace.js';

/** Bytes read from a file at a time while uploading. */
const UPLOAD_READ_BYTES = 128 * 1024;

/** A workspace file found under a declared output. */
interface FoundFile {
  /** Absolute path to read. */
  source: string;
  /** Path relative to the workspace, as the FileRef carries it. */
  path: string;
}

/** Called for entries of an output directory that are not collected. */
export type SkipListener = (path: string, why: string) => void;

/**
 * Stores a task's declared outputs (files, or directories taken
 * recursively) in the artifact store, named by their SHA-256 digest, and
 * returns them as file references. A file already stored is not sent
 * again. Symbolic links and special files inside a directory are skipped.
 *
 * @throws AttemptFailedError (reason `output-failed`) naming the path when
 *   a declared output is missing, escapes the workspace, or cannot be
 *   stored.
 */
export async function collectOutputs(
  store: ArtifactStore,
  root: string,
  outputs: readonly string[],
  onSkip: SkipListener,
): Promise<FileRef[]> {
  const found = new Map<string, FoundFile>();
  for (const declared of outputs) {
    for (const file of await findFiles(root, declared, onSkip)) {
      found.set(file.path, file);
    }
  }

  const refs: FileRef[] = [];
  for (const file of found.values()) {
    try {
      refs.push(await storeFile(store, file));
    } catch (error) {
      throw outputFailed(
        file.path,
        `Output "${file.path}" could not be stored: ${messageOf(error)}.`,
        error,
      );
    }
  }
  return refs;
}

async function findFiles(
  root: string,
  declared: string,
  onSkip: SkipListener,
): Promise<FoundFile[]> {
  const target = resolveInside(root, declared);
  if (target === undefined) {
    throw outputFailed(
      declared,
      `Output path "${declared}" is absolute or leaves the workspace; ` +
        'use a path relative to the workspace.',
    );
  }

  let real: string;
  try {
    real = await realpath(target);
  } catch (error) {
    throw outputFailed(
      declared,
      `Declared output "${declared}" was not produced by the task.`,
      error,
    );
  }
  // A link pointing outside would hand the sandbox's own files out.
  if (!isInside(root, real)) {
    throw outputFailed(
      declared,
      `Declared output "${declared}" is a link that leads out of the ` +
        'workspace.',
    );
  }

  const path = relative(root, target);
  const stats = await stat(real);
  if (stats.isFile()) {
    return [{ source: real, path }];
  }
  if (stats.isDirectory()) {
    const files: FoundFile[] = [];
    await walk(real, path, files, onSkip);
    return files;
  }
  throw outputFailed(
    declared,
    `Declared output "${declared}" is neither a file nor a directory.`,
  );
}

async function walk(
  directory: string,
  path: string,
  files: FoundFile[],
  onSkip: SkipListener,
): Promise<void> {
  const entries = await readdir(directory, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const source = join(directory, entry.name);
    const entryPath = join(path, entry.name);
    if (entry.isDirectory()) {
      await walk(source, entryPath, files, onSkip);
    } else if (entry.isFile()) {
      files.push({ source, path: entryPath });
    } else {
      onSkip(
        entryPath,
        entry.isSymbolicLink() ? 'symbolic link' : 'special file',
      );
    }
  }
}

async function storeFile(
  store: ArtifactStore,
  file: FoundFile,
): Promise<FileRef> {
  const stats = await lstat(file.source);
  const digest = await hashFile(file.source);
  const ref: FileRef = {
    path: file.path,
    digest,
    size: stats.size,
    mode: stats.mode & 0o7777,
  };

  if (holdsContent(await store.info(digest), digest, ref.size)) {
    return ref;
  }
  const info = await store.put({ name: digest }, fileStream(file.source));
  if (info.size !== ref.size) {
    throw new Error(
      `the store took ${info.size} bytes where the file has ${ref.size}`,
    );
  }
  return ref;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** Reads a file as a web stream, one bounded piece per pull. */
function fileStream(path: string): ReadableStream<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        handle ??= await open(path, 'r');
        const buffer = new Uint8Array(UPLOAD_READ_BYTES);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length);
        if (bytesRead === 0) {
          await handle.close();
          controller.close();
          return;
        }
        controller.enqueue(buffer.subarray(0, bytesRead));
      } catch (error) {
        await handle?.close();
        throw error;
      }
    },
    async cancel() {
      await handle?.close();
    },
  });
}

function outputFailed(
  path: string,
  message: string,
  cause?: unknown,
): AttemptFailedError {
  return new AttemptFailedError('output-failed', path, message, cause);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
