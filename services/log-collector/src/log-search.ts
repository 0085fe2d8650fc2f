import type { LogQuery } from '@river/protocol';
import type { Logger } from '@river/protocol/internal';
import { attemptOutput, attemptStart, findAttempt } from './attempt-output.js';
import type { LogIndexStore } from './index-store.js';
import {
  DEFAULT_MAX_HITS,
  LineSearch,
  type SearchCount,
} from './line-search.js';
import type { StreamReader } from './stream-reader.js';

/** A search reply's figures. */
export interface LogSearch extends SearchCount {
  /** The attempt read; absent when the task has no log. */
  attempt?: number;
  complete: boolean;
}

/**
 * Counts the occurrences of `query.search` in one attempt's output (both
 * streams in stored order), reading all of it from the attempt's first
 * chunk, one chunk at a time.
 */
export async function searchLog(
  reader: StreamReader,
  store: LogIndexStore,
  query: LogQuery & { taskId: string; search: string },
  log: Logger,
): Promise<LogSearch> {
  const { runId, taskId } = query;
  const { attempt, entry } = await findAttempt(
    reader,
    store,
    runId,
    taskId,
    query.attempt,
  );
  const search = new LineSearch(query.search, {
    caseSensitive: query.caseSensitive ?? false,
    maxHits: query.maxHits ?? DEFAULT_MAX_HITS,
  });
  if (attempt === undefined) {
    return { ...search.finish(), complete: false };
  }

  const started = Date.now();
  let chunksRead = 0;
  for await (const data of attemptOutput(reader, {
    runId,
    taskId,
    attempt,
    fromSeq: attemptStart(entry),
  })) {
    chunksRead++;
    search.push(data);
  }
  const count = search.finish();
  log.debug(
    {
      runId,
      taskId,
      attempt,
      chunksRead,
      hits: count.hits,
      ms: Date.now() - started,
    },
    'Searched log',
  );
  return { ...count, attempt, complete: entry?.complete ?? false };
}
