import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Streams, Subjects } from '@river/protocol';
import type { Logger, RiverConnection } from '@river/protocol/internal';
import type { SequencedRecord } from '@river/run-view';
import type { EventHub } from '../event-hub.js';
import { readEventRange } from '../event-reader.js';
import type { NatsReachability } from '../nats-reachability.js';
import { checkedId } from './params.js';
import { HttpError, SAFETY_HEADERS } from './respond.js';

/** Events sent per pass before the stream looks at the socket again. */
const BATCH = 500;
/** How long a browser waits before it reconnects a dropped stream. */
const RETRY_MS = 1_000;

/** What a live stream reads from. */
export interface LiveStreamSources {
  hub: EventHub;
  connection: RiverConnection;
  /** Whether the gateway reaches NATS, which each stream passes on. */
  nats: NatsReachability;
  heartbeatMs: number;
  log: Logger;
}

/** A whole number 0 or more from a query or header, or undefined. */
function sequenceOf(text: string | null | undefined, name: string) {
  if (text === null || text === undefined || text === '') {
    return undefined;
  }
  if (!/^\d{1,15}$/.test(text)) {
    throw new HttpError(
      400,
      `${name} must be an event sequence (a whole number); it was ` +
        `${JSON.stringify(text.slice(0, 40))}.`,
    );
  }
  return Number(text);
}

/**
 * `/api/stream`: a Server-Sent Events stream of every `run.*` event, and
 * with `?run=` every event of that run too, each with its stream sequence
 * as its id. It starts after `?after=` or, on a reconnect, after the
 * browser's `Last-Event-ID`, so nothing is missed or sent twice. Recent
 * events come from the shared hub; older ones are read from the stream.
 * A `nats` event says whether the gateway reaches NATS: first as the
 * stream opens, then on each change, since no events come while it does
 * not.
 *
 * @throws HttpError 400 for a malformed `run`, `after` or `Last-Event-ID`.
 */
export function serveLiveStream(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  sources: LiveStreamSources,
): void {
  const run = url.searchParams.get('run');
  const runId = run === null ? undefined : checkedId(run, 'run');
  const lastEventId = req.headers['last-event-id'];
  const after =
    sequenceOf(
      Array.isArray(lastEventId) ? lastEventId[0] : lastEventId,
      'Last-Event-ID',
    ) ??
    sequenceOf(url.searchParams.get('after'), 'after') ??
    sources.hub.latestSeq;

  const subject =
    runId === undefined
      ? Subjects.event('*', 'run.>')
      : Subjects.runEvents(runId);
  const fields = { subject, ...(runId === undefined ? {} : { runId }) };
  const inScope = (record: SequencedRecord) =>
    record.event.type.startsWith('run.') || record.event.runId === runId;

  res.writeHead(200, {
    ...SAFETY_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // Tells nginx and its kin to pass each event on at once.
    'X-Accel-Buffering': 'no',
  });
  if (req.method === 'HEAD') {
    // No body follows a HEAD, so nothing would ever send the headers.
    res.end();
    return;
  }
  req.socket.setNoDelay(true);
  res.write(`retry: ${RETRY_MS}\n\n`);

  const closed = new AbortController();
  const unfollow = sendReachability(res, sources.nats, closed.signal);
  req.on('close', () => {
    unfollow();
    closed.abort();
  });
  sources.log.info({ ...fields, after }, 'Live stream opened');

  void pump(res, after, inScope, sources, closed.signal)
    .then((sent) => sources.log.info({ ...fields, sent }, 'Live stream closed'))
    .catch((error: unknown) => {
      sources.log.warn({ ...fields, err: error }, 'Live stream failed');
      res.destroy();
    });
}

/**
 * Sends `event: nats` now and on each change; returns the unsubscribe.
 * A browser that reads slowly gets the latest state once its socket
 * drains, not a queue of every change.
 */
function sendReachability(
  res: ServerResponse,
  nats: NatsReachability,
  closed: AbortSignal,
): () => void {
  let pending: boolean | undefined;
  const send = (reachable: boolean) => {
    if (closed.aborted) {
      return;
    }
    if (res.writableNeedDrain) {
      if (pending === undefined) {
        res.once('drain', () => {
          const latest = pending;
          pending = undefined;
          if (latest !== undefined) {
            send(latest);
          }
        });
      }
      pending = reachable;
      return;
    }
    res.write(`event: nats\ndata: ${JSON.stringify({ reachable })}\n\n`);
  };
  send(nats.reachable);
  return nats.onChange(send);
}

async function pump(
  res: ServerResponse,
  after: number,
  inScope: (record: SequencedRecord) => boolean,
  sources: LiveStreamSources,
  closed: AbortSignal,
): Promise<number> {
  const { hub, connection, heartbeatMs } = sources;
  const start = await startingPoint(res, after, sources, closed);
  if (start === undefined) {
    return 0;
  }
  let cursor = start;
  let sent = 0;
  while (!closed.aborted) {
    let batch = hub.after(cursor, BATCH);
    if (batch === undefined) {
      // Behind what memory holds: catch up from the stream itself.
      const range = await readFromNats(
        () => readEventRange(connection, Subjects.allEvents, cursor, BATCH),
        res,
        sources,
        closed,
      );
      if (range === undefined) {
        break;
      }
      batch = range.records;
      if (batch.length === 0) {
        cursor = Math.max(range.lastSeq, hub.coveredFrom - 1);
        continue;
      }
    }
    if (batch.length === 0) {
      const arrived = await hub.next(heartbeatMs, closed);
      if (!arrived && !closed.aborted) {
        await write(res, ': keep-alive\n\n', closed);
      }
      continue;
    }
    for (const record of batch) {
      cursor = record.seq;
      if (inScope(record)) {
        await write(
          res,
          `id: ${record.seq}\nevent: river\ndata: ${JSON.stringify(record.event)}\n\n`,
          closed,
        );
        sent++;
      }
    }
  }
  return sent;
}

/**
 * Where the stream starts: after `after`, unless that is beyond the last
 * event stored, which only a stream emptied or made again since the
 * browser's last event can cause. Going on from there would skip every
 * event until the sequence caught up: the browser is told to start over
 * (`event: reset`), and the stream goes on from the last event stored.
 */
async function startingPoint(
  res: ServerResponse,
  after: number,
  sources: LiveStreamSources,
  closed: AbortSignal,
): Promise<number | undefined> {
  if (after <= sources.hub.latestSeq) {
    return after;
  }
  // The hub may lag the stream by a moment; the stream itself decides.
  const info = await readFromNats(
    () => sources.connection.jsm.streams.info(Streams.events),
    res,
    sources,
    closed,
  );
  if (info === undefined) {
    return undefined;
  }
  const lastSeq = info.state.last_seq;
  if (after <= lastSeq) {
    return after;
  }
  await write(
    res,
    `event: reset\ndata: ${JSON.stringify({ lastSeq })}\n\n`,
    closed,
  );
  return lastSeq;
}

/**
 * Reads from NATS. While the gateway cannot reach it, a failed read waits
 * for it to come back, keeping the stream alive, and is made again: ending
 * the stream would only have the browser open it again, and fail again.
 * Undefined when the stream closes meanwhile.
 *
 * @throws what `read` throws while NATS is reachable.
 */
async function readFromNats<T>(
  read: () => Promise<T>,
  res: ServerResponse,
  { nats, heartbeatMs }: LiveStreamSources,
  closed: AbortSignal,
): Promise<T | undefined> {
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (nats.reachable) {
        throw error;
      }
    }
    while (!(await nats.reachableWithin(heartbeatMs, closed))) {
      if (closed.aborted) {
        return undefined;
      }
      await write(res, ': keep-alive\n\n', closed);
    }
  }
}

/** Writes, and waits while the socket's buffer is full. */
async function write(
  res: ServerResponse,
  text: string,
  closed: AbortSignal,
): Promise<void> {
  if (closed.aborted || res.write(text)) {
    return;
  }
  await once(res, 'drain', { signal: closed }).catch(() => undefined);
}
