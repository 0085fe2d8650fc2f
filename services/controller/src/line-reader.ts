/** What a {@link LineReader} reports. */
export interface LineHandlers {
  /** A complete line, without its newline. */
  line(text: string): void;
  /** A line grew past the limit; nothing more is read. */
  tooLong(): void;
}

/**
 * Splits a byte stream into newline-terminated UTF-8 lines, and gives up
 * on a line longer than `maxBytes`, so that the other side of a pipe
 * cannot make this process hold an unbounded line in memory.
 */
export class LineReader {
  readonly #maxBytes: number;
  readonly #handlers: LineHandlers;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #stopped = false;

  constructor(maxBytes: number, handlers: LineHandlers) {
    this.#maxBytes = maxBytes;
    this.#handlers = handlers;
  }

  /** Takes the next chunk of the stream. */
  push(chunk: Buffer): void {
    let start = 0;
    while (!this.#stopped) {
      const end = chunk.indexOf(0x0a, start);
      if (end === -1) {
        this.#keep(chunk.subarray(start));
        return;
      }
      this.#keep(chunk.subarray(start, end));
      if (this.#stopped) {
        return;
      }
      const line = Buffer.concat(this.#pending).toString('utf8');
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#handlers.line(line);
      start = end + 1;
    }
  }

  #keep(part: Buffer): void {
    if (part.length === 0) {
      return;
    }
    this.#pendingBytes += part.length;
    if (this.#pendingBytes > this.#maxBytes) {
      this.#stopped = true;
      this.#pending = [];
      this.#handlers.tooLong();
      return;
    }
    this.#pending.push(Buffer.from(part));
  }
}
