import { Buckets, type LogUsage, Streams, Subjects } from '@river/protocol';
import { indexKeys } from './index-keys.js';
import type { LogIndexStore } from './index-store.js';
import type { StreamReader } from './stream-reader.js';

const NANOS_PER_DAY = 24 * 60 * 60 * 1e9;

/**
 * What the logs take on the server: the logs stream and the index bucket
 * as a whole, and the run's chunks (counted by the stream per subject)
 * and their data (summed from the run's index entries).
 */
export async function readLogUsage(
  reader: StreamReader,
  store: LogIndexStore,
  runId: string,
): Promise<LogUsage> {
  const jsm = await reader.manager();
  const logs = await jsm.streams.info(Streams.logs, {
    subjects_filter: Subjects.runLogChunks(runId),
  });
  const index = await jsm.streams.info(`KV_${Buckets.logIndex}`);
  const keys = await indexKeys(reader, runId);

  let bytes = 0;
  for (const key of keys) {
    bytes += (await store.read(key))?.entry.bytes ?? 0;
  }
  const runChunks = Object.values(logs.state.subjects ?? {}).reduce(
    (sum, count) => sum + count,
    0,
  );
  const maxAge = logs.config.max_age;
  return {
    logs: { messages: logs.state.messages, bytes: logs.state.bytes },
    index: { messages: index.state.messages, bytes: index.state.bytes },
    run: { messages: runChunks, bytes },
    attempts: keys.length,
    ...(maxAge > 0 ? { retentionDays: maxAge / NANOS_PER_DAY } : {}),
  };
}
