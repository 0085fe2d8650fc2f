import { randomBytes } from 'node:crypto';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { decode, MessageDecodeError, Streams } from '@river/protocol';
import type { RiverConnection } from '@river/protocol/internal';
import type { EventRecord, SequencedRecord } from '@river/run-view';

/** Messages asked of the server at once. */
const FETCH_BATCH = 1_000;
/** Longer than a fetch of stored messages can take on a sound server. */
const FETCH_EXPIRES_MS = 5_000;
/** A reader that died mid-read leaves its consumer this long at most. */
const INACTIVE_THRESHOLD_NS = 30_000 * 1_000_000;

/** Stored events read by {@link readEventRange}. */
export interface EventRange {
  /** The events that decode, in stream order. */
  records: SequencedRecord[];
  /** The last sequence read, decodable or not; `afterSeq` when none. */
  lastSeq: number;
  /** Whether more events under the filter follow `lastSeq`. */
  more: boolean;
}

/**
 * Decodes a stored event into the JSON the UI reads, or undefined for one
 * that fails its schema (a malformed message, or a type from a newer
 * River): a history stays readable around it.
 */
export function eventRecordOf(
  subject: string,
  data: Uint8Array,
): EventRecord | undefined {
  try {
    return decode('event', subject, data) as unknown as EventRecord;
  } catch (error) {
    if (error instanceof MessageDecodeError) {
      return undefined;
    }
    throw error;
  }
}

/**
 * Reads up to `limit` stored events under `filter` after sequence
 * `afterSeq`, and stops there: it never waits for new ones. The consumer
 * is made with a name so that its creation reports how many messages it
 * holds, which tells the read when to stop without a timeout.
 */
export async function readEventRange(
  connection: RiverConnection,
  filter: string,
  afterSeq: number,
  limit: number,
): Promise<EventRange> {
  const name = `gateway-${randomBytes(8).toString('hex')}`;
  const info = await connection.jsm.consumers.add(Streams.events, {
    name,
    filter_subject: filter,
    ack_policy: AckPolicy.None,
    mem_storage: true,
    num_replicas: 1,
    inactive_threshold: INACTIVE_THRESHOLD_NS,
    ...(afterSeq > 0
      ? {
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: afterSeq + 1,
        }
      : { deliver_policy: DeliverPolicy.All }),
  });
  const wanted = Math.min(info.num_pending, limit);
  const records: SequencedRecord[] = [];
  let lastSeq = afterSeq;
  try {
    const consumer = await connection.js.consumers.get(Streams.events, name);
    let read = 0;
    while (read < wanted) {
      const batch = await consumer.fetch({
        max_messages: Math.min(FETCH_BATCH, wanted - read),
        expires: FETCH_EXPIRES_MS,
      });
      let got = 0;
      for await (const msg of batch) {
        got++;
        read++;
        lastSeq = msg.seq;
        const event = eventRecordOf(msg.subject, msg.data);
        if (event !== undefined) {
          records.push({ seq: msg.seq, event });
        }
      }
      if (got === 0) {
        break;
      }
    }
    return { records, lastSeq, more: info.num_pending > read };
  } finally {
    void connection.jsm.consumers
      .delete(Streams.events, name)
      .catch(() => undefined);
  }
}
