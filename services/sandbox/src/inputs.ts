import { createHash } from 'node:crypto';
import { chmod, mkdir, open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Buckets, type FileRef } from '@river/protocol';
import { readObjectChunks } from '@river/protocol/internal';
import { AttemptFailedError } from './errors.js';
import type { ArtifactStore, JetStream } from './nats-types.js';
import { resolveInside } from './workspace.js';

/**
 * Places a task's input files in its workspace, each fetched from the
 * artifact store by digest, checked against its digest and size, and given
 * its mode.
 *
 * @throws AttemptFailedError (reason `input-failed`) naming the path when
 *   a path is absolute or escapes the workspace, or a file is missing from
 *   the store or does not match its digest or size.
 */
export async function placeInputs(
  store: ArtifactStore,
  js: JetStream,
  root: string,
  inputs: readonly FileRef[],
): Promise<void> {
  const targets = inputs.map((input) => {
    const target = resolveInside(root, input.path);
    if (target === undefined) {
      throw inputFailed(
        input.path,
        `Input path "${input.path}" is absolute or leaves the workspace; ` +
          'use a path relative to the workspace.',
      );
    }
    return { input, target };
  });

  for (const { input, target } of targets) {
    try {
      await mkdir(dirname(target), { recursive: true });
      await download(store, js, input, target);
    } catch (error) {
      if (error instanceof AttemptFailedError) {
        throw error;
      }
      throw inputFailed(
        input.path,
        `Input "${input.path}" could not be placed: ${messageOf(error)}.`,
        error,
      );
    }
  }
}

async function download(
  store: ArtifactStore,
  js: JetStream,
  input: FileRef,
  target: string,
): Promise<void> {
  const object = await store.info(input.digest);
  if (object === null || object.deleted) {
    throw inputFailed(
      input.path,
      `Input "${input.path}" is not in the artifact store ` +
        `(digest ${input.digest}).`,
    );
  }

  const hash = createHash('sha256');
  let size = 0;
  // A stale file from a duplicate path must not keep a read-only mode.
  await rm(target, { force: true });
  const file = await open(target, 'wx', 0o600);
  try {
    for await (const chunk of readObjectChunks(js, Buckets.artifacts, object)) {
      hash.update(chunk);
      size += chunk.length;
      await file.write(chunk);
    }
  } finally {
    await file.close();
  }

  const digest = hash.digest('hex');
  if (digest !== input.digest || size !== input.size) {
    throw inputFailed(
      input.path,
      `Input "${input.path}" does not match its reference: got ${size} ` +
        `bytes with digest ${digest}, expected ${input.size} bytes with ` +
        `digest ${input.digest}.`,
    );
  }
  await chmod(target, input.mode);
}

function inputFailed(
  path: string,
  message: string,
  cause?: unknown,
): AttemptFailedError {
  return new AttemptFailedError('input-failed', path, message, cause);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
