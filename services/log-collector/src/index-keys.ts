import { Buckets } from '@river/protocol';
import type { StreamReader } from './stream-reader.js';

const INDEX_STREAM = `KV_${Buckets.logIndex}`;
const KEY_PREFIX = `$KV.${Buckets.logIndex}.`;

/**
 * The index keys under `prefix` (`<runId>` or `<runId>.<taskId>`), read
 * from the bucket's stream info: the collector may look the stream up,
 * which needs no consumer.
 */
export async function indexKeys(
  reader: StreamReader,
  prefix: string,
): Promise<string[]> {
  const jsm = await reader.manager();
  const info = await jsm.streams.info(INDEX_STREAM, {
    subjects_filter: `${KEY_PREFIX}${prefix}.>`,
  });
  return Object.keys(info.state.subjects ?? {}).map((subject) =>
    subject.slice(KEY_PREFIX.length),
  );
}

/** The task's highest attempt in the index, or `undefined` if none. */
export async function lastAttempt(
  reader: StreamReader,
  runId: string,
  taskId: string,
): Promise<number | undefined> {
  const attempts = (await indexKeys(reader, `${runId}.${taskId}`))
    .map((key) => Number(key.slice(`${runId}.${taskId}.`.length)))
    .filter((attempt) => Number.isInteger(attempt) && attempt > 0);
  return attempts.length === 0 ? undefined : Math.max(...attempts);
}
