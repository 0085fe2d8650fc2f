import { createHash } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { ObjectStore } from '@nats-io/obj';
import { Buckets, type FileRef } from '@river/protocol';
import { readObjectChunks } from '@river/protocol/internal';

/**
 * Reads every file of `files` back from the artifact store and hashes it:
 * a cached result is only as good as its files, and a sandbox may write
 * to the store. Each distinct digest is read once.
 *
 * @returns undefined when every file is there with its digest and size,
 *   otherwise why not, naming the file.
 */
export async function checkBlobs(
  js: JetStreamClient,
  artifacts: ObjectStore,
  files: readonly FileRef[],
): Promise<string | undefined> {
  const checked = new Set<string>();
  for (const file of files) {
    if (checked.has(file.digest)) {
      continue;
    }
    checked.add(file.digest);
    const info = await artifacts.info(file.digest);
    if (info === null || info.deleted) {
      return `file ${file.path} is no longer in the artifact store`;
    }
    if (info.size !== file.size) {
      return (
        `file ${file.path} has ${info.size} bytes in the artifact store ` +
        `where ${file.size} were recorded`
      );
    }
    const hash = createHash('sha256');
    for await (const chunk of readObjectChunks(js, Buckets.artifacts, info)) {
      hash.update(chunk);
    }
    if (hash.digest('hex') !== file.digest) {
      return `file ${file.path} in the artifact store does not match its digest`;
    }
  }
  return undefined;
}
