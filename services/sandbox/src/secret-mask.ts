import type { LogStream } from '@river/protocol';
import type { OutputSink } from './runner.js';

/** What a secret's value is replaced with in a task's output. */
export const SECRET_MASK = '***';

/**
 * Lines of a multi-line secret shorter than this many bytes are not masked
 * on their own (the whole value still is): a line such as `}` or `-----`
 * would otherwise mask every brace or rule the task prints, and a line
 * that short gives little away.
 */
export const MIN_MASKED_LINE_BYTES = 4;

const MASK_BYTES = Buffer.from(SECRET_MASK);
const EMPTY = Buffer.alloc(0);

/** A stretch of output covered by one or more overlapping secrets. */
interface Span {
  start: number;
  end: number;
}

/**
 * The byte strings to mask for these secret values: each value whole, and
 * each line of a multi-line value that is long enough on its own. Lines
 * lose a trailing carriage return, since a task may print them either way.
 */
export function maskPatterns(values: Iterable<string>): Buffer[] {
  const patterns = new Map<string, Buffer>();
  const add = (text: string) => {
    if (text !== '' && !patterns.has(text)) {
      patterns.set(text, Buffer.from(text, 'utf8'));
    }
  };
  for (const value of values) {
    add(value);
    const lines = value.split('\n');
    if (lines.length > 1) {
      for (const line of lines) {
        const bare = line.endsWith('\r') ? line.slice(0, -1) : line;
        if (Buffer.byteLength(bare) >= MIN_MASKED_LINE_BYTES) {
          add(bare);
        }
      }
    }
  }
  return [...patterns.values()];
}

/**
 * Masks secrets in one stream of output that arrives in pieces. Every byte
 * that belongs to an occurrence of a pattern is hidden, and each run of
 * such bytes (occurrences that overlap count as one) becomes one
 * {@link SECRET_MASK}, so that overlapping secrets give nothing away.
 *
 * Output whose end could be the start of a secret is held back until more
 * arrives or {@link end} is called; nothing else is delayed. The last
 * bytes already passed on are kept as context, so that a secret found
 * across two pieces is masked as if they had come at once: the result does
 * not depend on how the output was cut.
 */
export class SecretMasker {
  readonly #patterns: readonly Buffer[];
  readonly #contextBytes: number;
  #context: Buffer = EMPTY;
  #pending: Buffer = EMPTY;

  constructor(patterns: readonly Buffer[]) {
    this.#patterns = patterns.filter((pattern) => pattern.length > 0);
    const longest = Math.max(0, ...this.#patterns.map((p) => p.length));
    this.#contextBytes = Math.max(0, longest - 1);
  }

  /** Bytes held back, waiting to know whether they start a secret. */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  /** Takes more output; returns what may be passed on, masked. */
  push(data: Buffer): Buffer {
    return this.#take(data, false);
  }

  /** The output is over: returns what was held back, masked. */
  end(): Buffer {
    return this.#take(EMPTY, true);
  }

  #take(data: Buffer, final: boolean): Buffer {
    if (this.#patterns.length === 0) {
      return data;
    }
    const buffer = Buffer.concat([this.#context, this.#pending, data]);
    const from = this.#context.length;
    const cut = final ? buffer.length : this.#heldFrom(buffer, from);

    const masked = emit(buffer, from, cut, this.#spans(buffer));
    this.#context = Buffer.from(
      buffer.subarray(Math.max(0, cut - this.#contextBytes), cut),
    );
    this.#pending = Buffer.from(buffer.subarray(cut));
    return masked;
  }

  /**
   * Where output may have to wait: the first position at or after `from`
   * whose remaining bytes are a proper prefix of some pattern, so that a
   * secret may still complete there. The buffer's length when none.
   */
  #heldFrom(buffer: Buffer, from: number): number {
    let held = buffer.length;
    for (const pattern of this.#patterns) {
      const first = pattern[0] as number;
      let at = Math.max(from, buffer.length - pattern.length + 1);
      while (at < held) {
        at = buffer.indexOf(first, at);
        if (at < 0 || at >= held) {
          break;
        }
        const rest = buffer.length - at;
        if (pattern.compare(buffer, at, buffer.length, 0, rest) === 0) {
          held = at;
          break;
        }
        at++;
      }
    }
    return held;
  }

  /** Every occurrence of every pattern, merged where they overlap. */
  #spans(buffer: Buffer): Span[] {
    const found: Span[] = [];
    for (const pattern of this.#patterns) {
      let at = buffer.indexOf(pattern);
      while (at >= 0) {
        found.push({ start: at, end: at + pattern.length });
        at = buffer.indexOf(pattern, at + 1);
      }
    }
    found.sort((a, b) => a.start - b.start);

    const merged: Span[] = [];
    for (const span of found) {
      const last = merged.at(-1);
      if (last !== undefined && span.start < last.end) {
        last.end = Math.max(last.end, span.end);
      } else {
        merged.push({ ...span });
      }
    }
    return merged;
  }
}

/**
 * The bytes of `buffer` from `from` to `cut`, each span replaced by the
 * mask. A span that began before `from` was masked with the output before,
 * so it gets no second mask.
 */
function emit(buffer: Buffer, from: number, cut: number, spans: Span[]) {
  const parts: Buffer[] = [];
  let at = from;
  for (const span of spans) {
    if (span.end <= from || span.start >= cut) {
      continue;
    }
    if (span.start > at) {
      parts.push(buffer.subarray(at, span.start));
    }
    if (span.start >= from) {
      parts.push(MASK_BYTES);
    }
    at = Math.min(span.end, cut);
  }
  if (at < cut) {
    parts.push(buffer.subarray(at, cut));
  }
  return Buffer.concat(parts);
}

/**
 * An output sink that masks the granted secrets' values before anything
 * reaches `inner`: the log publisher and the outcome's captured tails.
 * Each stream is masked on its own. Call {@link end} once the task's
 * output has all been read, before the log's last chunk is sent.
 */
export class SecretMaskingSink implements OutputSink {
  readonly #inner: OutputSink;
  readonly #patterns: Buffer[];
  readonly #maskers = new Map<LogStream, SecretMasker>();

  constructor(values: readonly string[], inner: OutputSink) {
    this.#inner = inner;
    this.#patterns = maskPatterns(values);
  }

  write(stream: LogStream, data: Buffer): boolean {
    if (this.#patterns.length === 0) {
      return this.#inner.write(stream, data);
    }
    let masker = this.#maskers.get(stream);
    if (masker === undefined) {
      masker = new SecretMasker(this.#patterns);
      this.#maskers.set(stream, masker);
    }
    const masked = masker.push(data);
    return masked.length === 0 ? true : this.#inner.write(stream, masked);
  }

  drained(): Promise<void> {
    return this.#inner.drained();
  }

  /** Passes on, masked, whatever each stream still held back. */
  end(): void {
    for (const [stream, masker] of this.#maskers) {
      const rest = masker.end();
      if (rest.length > 0) {
        this.#inner.write(stream, rest);
      }
    }
  }

  /** Masks one whole text, such as an outcome's message. */
  maskText(text: string): string {
    if (this.#patterns.length === 0) {
      return text;
    }
    const masker = new SecretMasker(this.#patterns);
    const bytes = Buffer.from(text, 'utf8');
    return Buffer.concat([masker.push(bytes), masker.end()]).toString('utf8');
  }
}
