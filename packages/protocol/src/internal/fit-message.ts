import { encode, type MessageKind, type MessageTypes } from '../codec.js';

/**
 * The most bytes River puts in one message whose size depends on what a
 * task or job produced: half of nats-server's default 1 MB `max_payload`,
 * so that headers and a smaller configured limit still leave room.
 */
export const MAX_MESSAGE_BYTES = 512 * 1024;

/** Output tails, whose end is what matters; other text keeps its start. */
const TAIL_FIELDS = new Set(['stdout', 'stderr']);

/** Rounds of cutting; the last one empties every long string. */
const MAX_ROUNDS = 8;

/**
 * Encodes `message`, first cutting its longest strings when it would take
 * more than `maxBytes`: a tail (`stdout`, `stderr`) keeps its end and sets
 * its `…Truncated` flag, any other text (an error, a message) keeps its
 * start; each cut text says so with a mark. The message is never dropped.
 */
export function encodeFitted<K extends MessageKind>(
  kind: K,
  message: MessageTypes[K],
  maxBytes = MAX_MESSAGE_BYTES,
): { bytes: Uint8Array; cut: boolean } {
  let bytes = encode(kind, message);
  if (bytes.length <= maxBytes) {
    return { bytes, cut: false };
  }

  // Each round starts again from the message as given, so that every
  // mark counts what was really cut, and asks each long string for a
  // larger share of the excess than the round before.
  const excess = bytes.length - maxBytes;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const copy = structuredClone(message) as MessageTypes[K];
    const strings = longStrings(copy);
    const total = strings.reduce((sum, text) => sum + text.bytes, 0);
    if (total === 0) {
      break;
    }
    for (const text of strings) {
      // A margin for the marks and for characters wider than one byte.
      const share = (Math.ceil((excess * text.bytes) / total) + 256) * round;
      cutString(text, round < MAX_ROUNDS ? text.bytes - share : 0);
    }
    bytes = encode(kind, copy);
    if (bytes.length <= maxBytes) {
      break;
    }
  }
  return { bytes, cut: true };
}

/** A string inside a message, where to find it, and its UTF-8 size. */
interface FoundString {
  owner: Record<string, unknown>;
  key: string;
  bytes: number;
}

/** Strings of a kilobyte or more, anywhere in `value`. */
function longStrings(value: unknown): FoundString[] {
  const found: FoundString[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) {
      return;
    }
    const owner = node as Record<string, unknown>;
    for (const [key, field] of Object.entries(owner)) {
      if (typeof field === 'string') {
        const bytes = Buffer.byteLength(field);
        if (bytes >= 1024) {
          found.push({ owner, key, bytes });
        }
      } else {
        visit(field);
      }
    }
  };
  visit(value);
  return found;
}

/** Cuts one string to about `keepBytes` bytes, with a mark that says so. */
function cutString(text: FoundString, keepBytes: number): void {
  const value = text.owner[text.key] as string;
  const tail = TAIL_FIELDS.has(text.key);
  const kept = sliceUtf8(value, Math.max(0, keepBytes), tail);
  const cutBytes = text.bytes - Buffer.byteLength(kept);
  const mark = `[${cutBytes} bytes cut to fit a NATS message]`;
  text.owner[text.key] = tail ? `${mark}\n${kept}` : `${kept}… ${mark}`;
  if (tail && typeof text.owner[`${text.key}Truncated`] === 'boolean') {
    text.owner[`${text.key}Truncated`] = true;
  }
}

/** At most `bytes` bytes of `value`'s start or end, on a character edge. */
function sliceUtf8(value: string, bytes: number, fromEnd: boolean): string {
  const buffer = Buffer.from(value);
  if (buffer.length <= bytes) {
    return value;
  }
  let start = fromEnd ? buffer.length - bytes : 0;
  let end = fromEnd ? buffer.length : bytes;
  // Continuation bytes (10xxxxxx) never start a character.
  while (fromEnd && start < end && ((buffer[start] ?? 0) & 0xc0) === 0x80) {
    start++;
  }
  while (!fromEnd && end > 0 && ((buffer[end] ?? 0) & 0xc0) === 0x80) {
    end--;
  }
  return buffer.subarray(start, end).toString();
}
