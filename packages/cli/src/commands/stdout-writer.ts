/**
 * Writes to stdout with back-pressure, and ends the process quietly with
 * exit code 0 when the reader has gone (`river logs … | head`): a closed
 * pipe is how such a reader says it has seen enough.
 */
export class StdoutWriter {
  readonly #out: NodeJS.WriteStream;

  constructor(out: NodeJS.WriteStream = process.stdout) {
    this.#out = out;
    out.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') {
        process.exit(0);
      }
      throw error;
    });
  }

  /** Resolves once `data` is handed on, or waits for the pipe to drain. */
  async write(data: string | Uint8Array): Promise<void> {
    if (!this.#out.write(data)) {
      await new Promise<void>((resolve) => this.#out.once('drain', resolve));
    }
  }
}
