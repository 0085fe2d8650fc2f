import type { Msg, NatsConnection } from '@nats-io/transport-node';
import {
  decode,
  encode,
  type LogQuery,
  type LogQueryReply,
  MessageDecodeError,
  SCHEMA_VERSION,
  Subjects,
} from '@river/protocol';
import type { Logger } from '@river/protocol/internal';
import type { LogIndexStore } from './index-store.js';
import { LineQueryError, lineQueryKind } from './line-query.js';
import { readLogLines } from './log-lines.js';
import { readLogPage } from './log-page.js';
import { RangeQueryError, readLogRange } from './log-range.js';
import { searchLog } from './log-search.js';
import { readLogUsage } from './log-usage.js';
import type { StreamReader } from './stream-reader.js';

/** The queue group that spreads queries over the collector's replicas. */
export const QUERY_QUEUE_GROUP = 'log-collector';

/** The query responder; `stop()` waits for the answers in progress. */
export interface QueryServer {
  stop(): Promise<void>;
}

/**
 * Answers log queries on core NATS. Every query gets a reply: a page of
 * chunks, a byte range (`offset`), lines (`line`, `tail`), a search's
 * count (`search`), the storage used (`usage`), or an `error` that says
 * what was wrong with the query.
 */
export function serveLogQueries(
  nc: NatsConnection,
  reader: StreamReader,
  store: LogIndexStore,
  log: Logger,
): QueryServer {
  const inFlight = new Set<Promise<void>>();

  const subscription = nc.subscribe(Subjects.logQuery, {
    queue: QUERY_QUEUE_GROUP,
    callback: (error, msg) => {
      if (error !== null) {
        log.error(
          { subject: Subjects.logQuery, err: error },
          'Query subscription failed',
        );
        return;
      }
      const answering = answer(msg)
        .catch((failure: unknown) => {
          log.error(
            { subject: msg.subject, err: failure },
            'Could not answer log query',
          );
        })
        .finally(() => inFlight.delete(answering));
      inFlight.add(answering);
    },
  });

  async function answer(msg: Msg): Promise<void> {
    if (msg.reply === undefined || msg.reply === '') {
      log.warn(
        { subject: msg.subject },
        'Ignored log query without a reply subject',
      );
      return;
    }

    let query: LogQuery;
    try {
      query = decode('logQuery', msg.subject, msg.data);
    } catch (error) {
      if (!(error instanceof MessageDecodeError)) {
        throw error;
      }
      log.warn(
        { subject: msg.subject, field: error.field, err: error },
        'Refused malformed log query',
      );
      reply(msg, { chunks: [], error: error.message });
      return;
    }

    const fields = {
      runId: query.runId,
      ...(query.taskId === undefined ? {} : { taskId: query.taskId }),
      subject: msg.subject,
    };
    try {
      const page = await readReply(query);
      reply(msg, page);
      log.debug(
        { ...fields, chunks: page.chunks.length, next: page.next },
        'Answered log query',
      );
    } catch (error) {
      if (error instanceof RangeQueryError || error instanceof LineQueryError) {
        reply(msg, { chunks: [], error: error.message });
        return;
      }
      log.error({ ...fields, err: error }, 'Log query failed');
      reply(msg, {
        chunks: [],
        error:
          'The log-collector could not read the stored logs ' +
          `(${error instanceof Error ? error.message : String(error)}); ` +
          'try again.',
      });
    }
  }

  async function readReply(
    query: LogQuery,
  ): Promise<Omit<LogQueryReply, 'schema'>> {
    const kind = lineQueryKind(query);
    const taskId = query.taskId ?? '';
    if (kind === 'search') {
      const search = query.search ?? '';
      return {
        chunks: [],
        ...(await searchLog(reader, store, { ...query, taskId, search }, log)),
      };
    }
    if (kind !== undefined) {
      return {
        chunks: [],
        ...(await readLogLines(reader, store, { ...query, taskId }, log)),
      };
    }
    if (query.usage === true) {
      return {
        chunks: [],
        usage: await readLogUsage(reader, store, query.runId),
      };
    }
    if (query.offset !== undefined) {
      return readLogRange(reader, store, query, log);
    }
    return readLogPage(reader, query, log);
  }

  function reply(msg: Msg, body: Omit<LogQueryReply, 'schema'>): void {
    msg.respond(encode('logQueryReply', { schema: SCHEMA_VERSION, ...body }));
  }

  return {
    async stop() {
      if (!subscription.isClosed()) {
        await subscription.drain();
      }
      await Promise.allSettled(inFlight);
    },
  };
}
