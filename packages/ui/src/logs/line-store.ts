/**
 * The lines of a log fetched so far, in fixed blocks kept least recently
 * used first, so a long session over a huge log holds a bounded number.
 */

/** Lines per block: one request each. */
export const BLOCK_LINES = 500;

/** Blocks kept (100,000 lines: a few megabytes of text). */
export const MAX_BLOCKS = 200;

interface Block {
  lines: (string | undefined)[];
  known: number;
}

/** A bounded cache of a log's lines by line number (1-based). */
export class LineStore {
  readonly blockLines: number;
  readonly maxBlocks: number;
  private readonly blocks = new Map<number, Block>();

  constructor(blockLines = BLOCK_LINES, maxBlocks = MAX_BLOCKS) {
    this.blockLines = blockLines;
    this.maxBlocks = maxBlocks;
  }

  /** The block that holds `line`. */
  blockOf(line: number): number {
    return Math.floor((line - 1) / this.blockLines);
  }

  /** The first line of block `block`. */
  firstLineOf(block: number): number {
    return block * this.blockLines + 1;
  }

  /** Line `line`, or `undefined` while it is not fetched. */
  line(line: number): string | undefined {
    const block = this.blocks.get(this.blockOf(line));
    return block?.lines[(line - 1) % this.blockLines];
  }

  /** Store `lines`, the first of them being line `firstLine`. */
  put(firstLine: number, lines: readonly string[]): void {
    for (let index = 0; index < lines.length; ) {
      const line = firstLine + index;
      const blockIndex = this.blockOf(line);
      const block = this.blockFor(blockIndex);
      const offset = (line - 1) % this.blockLines;
      const take = Math.min(this.blockLines - offset, lines.length - index);
      for (let step = 0; step < take; step++) {
        if (block.lines[offset + step] === undefined) {
          block.known++;
        }
        block.lines[offset + step] = lines[index + step];
      }
      index += take;
    }
    this.evict();
  }

  /**
   * The blocks with a line missing between `first` and `last` (1-based,
   * inclusive), and mark every block of the range as recently used.
   */
  missingBlocks(first: number, last: number): number[] {
    const missing: number[] = [];
    if (last < first) {
      return missing;
    }
    for (
      let index = this.blockOf(first);
      index <= this.blockOf(last);
      index++
    ) {
      const block = this.blocks.get(index);
      if (block) {
        this.blocks.delete(index);
        this.blocks.set(index, block);
      }
      const from = Math.max(first, this.firstLineOf(index));
      const to = Math.min(last, this.firstLineOf(index + 1) - 1);
      if (!block || !this.holds(block, from, to)) {
        missing.push(index);
      }
    }
    return missing;
  }

  /** Whether block `block` is held, whole or in part. */
  has(block: number): boolean {
    return this.blocks.has(block);
  }

  /** How many blocks are held. */
  get size(): number {
    return this.blocks.size;
  }

  private holds(block: Block, from: number, to: number): boolean {
    if (block.known === this.blockLines) {
      return true;
    }
    for (let line = from; line <= to; line++) {
      if (block.lines[(line - 1) % this.blockLines] === undefined) {
        return false;
      }
    }
    return true;
  }

  private blockFor(index: number): Block {
    let block = this.blocks.get(index);
    if (block) {
      this.blocks.delete(index);
    } else {
      block = { lines: new Array(this.blockLines), known: 0 };
    }
    this.blocks.set(index, block);
    return block;
  }

  private evict(): void {
    for (const index of this.blocks.keys()) {
      if (this.blocks.size <= this.maxBlocks) {
        return;
      }
      this.blocks.delete(index);
    }
  }
}
