import { TextDecoder } from 'node:util';
import type { StoredLogChunk } from '@river/protocol';

/** What `river logs` prints of each chunk. */
export interface LogPrinterOptions {
  /** The one task asked for; every task's when absent. */
  taskId?: string | undefined;
  /** Bytes as the task wrote them, instead of text. */
  raw: boolean;
}

/**
 * Turns chunks into what `river logs` prints: a header line where another
 * task or attempt begins, and each output's bytes, as they are (`raw`) or
 * as UTF-8 text with replacement characters for what is not. A character
 * split between two chunks of one output is printed whole.
 */
export class LogPrinter {
  readonly #options: LogPrinterOptions;
  readonly #decoders = new Map<string, TextDecoder>();
  #part: string | undefined;
  #atLineStart = true;

  constructor(options: LogPrinterOptions) {
    this.#options = options;
  }

  /** What to print for `chunk`, in order. */
  print(chunk: StoredLogChunk): Array<string | Uint8Array> {
    const out: Array<string | Uint8Array> = [];
    const header = this.#header(chunk);
    if (header !== undefined) {
      // A header starts its own line, even after a last line that had
      // no newline; the output itself is never changed.
      out.push(
        ...this.#flushAll(),
        `${this.#atLineStart ? '' : '\n'}${header}`,
      );
      this.#atLineStart = true;
    }
    const body = this.#options.raw ? chunk.data : this.#decode(chunk);
    if (body.length > 0) {
      out.push(body);
      this.#atLineStart = endsWithNewline(body);
    }
    return out;
  }

  /** What is left once every chunk was printed: pending partial bytes. */
  end(): string[] {
    return this.#flushAll();
  }

  /**
   * Every task's log gets a header naming its attempt; one task's only
   * where a retry begins (an attempt after the first, or another one).
   */
  #header(chunk: StoredLogChunk): string | undefined {
    const part = `${chunk.taskId}.${chunk.attempt}`;
    if (part === this.#part) {
      return undefined;
    }
    const first = this.#part === undefined;
    this.#part = part;
    const line = `==> ${chunk.taskId} (attempt ${chunk.attempt}) <==\n`;
    if (this.#options.taskId === undefined) {
      return line;
    }
    return first && chunk.attempt === 1 ? undefined : line;
  }

  #decode(chunk: StoredLogChunk): string {
    const key = `${chunk.taskId}.${chunk.attempt}.${chunk.stream}`;
    let decoder = this.#decoders.get(key);
    if (decoder === undefined) {
      decoder = new TextDecoder('utf-8', { fatal: false });
      this.#decoders.set(key, decoder);
    }
    return decoder.decode(chunk.data, { stream: true });
  }

  #flushAll(): string[] {
    const rest = [...this.#decoders.values()]
      .map((decoder) => decoder.decode())
      .filter((text) => text.length > 0);
    this.#decoders.clear();
    if (rest.length > 0) {
      this.#atLineStart = endsWithNewline(rest[rest.length - 1] ?? '');
    }
    return rest;
  }
}

function endsWithNewline(body: string | Uint8Array): boolean {
  return typeof body === 'string'
    ? body.endsWith('\n')
    : body[body.length - 1] === 0x0a;
}

/**
 * The `--bytes offset:length` option of `river logs`.
 *
 * @throws Error naming the option when it is not two whole numbers.
 */
export function parseByteRange(text: string): {
  offset: number;
  length: number;
} {
  const match = /^(\d+):(\d+)$/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined || match[2] === '0') {
    throw new Error(
      `--bytes takes offset:length in bytes (for example 0:4096), not '${text}'.`,
    );
  }
  return { offset: Number(match[1]), length: Number(match[2]) };
}
