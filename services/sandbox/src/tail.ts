/** How much of each output stream an outcome carries. */
export const CAPTURE_LIMIT_BYTES = 128 * 1024;

/**
 * Keeps the last `limit` bytes written to it, for the outcome's captured
 * stdout or stderr.
 */
export class OutputTail {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #truncated = false;

  constructor(limit = CAPTURE_LIMIT_BYTES) {
    this.#limit = limit;
  }

  /** Whether bytes were dropped from the front. */
  get truncated(): boolean {
    return this.#truncated;
  }

  push(data: Buffer): void {
    this.#chunks.push(data);
    this.#bytes += data.length;
    while (this.#bytes > this.#limit) {
      const first = this.#chunks[0];
      if (first === undefined) {
        break;
      }
      const excess = this.#bytes - this.#limit;
      this.#truncated = true;
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#bytes -= first.length;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#bytes -= excess;
      }
    }
  }

  /**
   * The kept bytes as UTF-8, invalid sequences replaced. A cut through a
   * multi-byte character at the front is skipped rather than shown as a
   * replacement character.
   */
  text(): string {
    let bytes = Buffer.concat(this.#chunks);
    if (this.#truncated) {
      let start = 0;
      while (start < 3 && ((bytes[start] ?? 0) & 0xc0) === 0x80) {
        start++;
      }
      bytes = bytes.subarray(start);
    }
    return bytes.toString('utf8');
  }
}
