/** A small library of reusable job classes. */
import {
  type FileRef,
  fork,
  JobClass,
  type JobContext,
  ShellTask,
} from '@river/sdk';

/** What a {@link WordCount} job returns. */
export interface WordCounts {
  files: number;
  words: number;
}

/**
 * Counts the words of every `.txt` file among the project's sources: one
 * task lists them, then one task per file counts, `concurrency` at once.
 * Subclasses may override `filesToCount` or `countOne`.
 */
export class WordCount<Name extends string = string> extends JobClass<
  WordCounts,
  Record<string, unknown>,
  Name
> {
  readonly concurrency: number;

  // Generic in its name, so that downstream jobs see it by that name.
  constructor(name: Name, concurrency = 4) {
    super(name);
    this.concurrency = concurrency;
  }

  /** The files to count, found by a task at run time. */
  async filesToCount(ctx: JobContext): Promise<string[]> {
    const listing = await ctx.run(
      new ShellTask("find . -name '*.txt' | sort", { inputs: ctx.sources }),
    );
    return listing.stdout.split('\n').filter((line) => line !== '');
  }

  /** Counts the words of one file. */
  async countOne(ctx: JobContext, file: string): Promise<number> {
    const inputs: FileRef[] = ctx.sources.filter(
      (source) => `./${source.path}` === file,
    );
    const result = await ctx.run(new ShellTask(['wc', '-w', file], { inputs }));
    return Number.parseInt(result.stdout, 10);
  }

  async run(ctx: JobContext): Promise<WordCounts> {
    const files = await this.filesToCount(ctx);
    const counts = await fork(files, (file) => this.countOne(ctx, file), {
      concurrency: this.concurrency,
    });
    return {
      files: files.length,
      words: counts.reduce((sum, count) => sum + count, 0),
    };
  }
}
