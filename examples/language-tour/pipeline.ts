/**
 * A tour of the job language: a job class from a library and a subclass
 * of it, a task class, a matrix, forks that fail fast or collect, and a
 * last job that reads every upstream result by name.
 */
import {
  forkSettled,
  type JobContext,
  job,
  matrix,
  project,
  ShellTask,
} from '@river/sdk';
import { WordCount } from './lib/jobs.js';
import { MakeTask } from './lib/tasks.js';

/** The library's job, with a step overridden: count long words only. */
class LongWordCount<Name extends string> extends WordCount<Name> {
  override async countOne(ctx: JobContext, file: string): Promise<number> {
    const inputs = ctx.sources.filter((source) => `./${source.path}` === file);
    const result = await ctx.run(
      new ShellTask(`tr -s ' ' '\\n' < ${file} | grep -c '.\\{7,\\}' || true`, {
        inputs,
      }),
    );
    return Number.parseInt(result.stdout, 10);
  }
}

const words = new WordCount('words', 2);
const longWords = new LongWordCount('long-words');

const greetings = matrix(
  'greet',
  { name: ['ada', 'grace'], loud: [false, true] },
  {},
  async (ctx, cell) => {
    const built = await ctx.run(
      new MakeTask('greeting', { NAME: cell.name }, { inputs: ctx.sources }),
    );
    const text = built.stdout.trim().split('\n').at(-1) ?? '';
    return cell.loud ? text.toUpperCase() : text;
  },
);

const probes = job('probes', async (ctx) => {
  // Collect every outcome, failures included, two at a time.
  const outcomes = await forkSettled(
    ['true', 'exit 3', 'echo fine'],
    (command) => ctx.sh(command),
    { concurrency: 2 },
  );
  return outcomes.map((outcome) => outcome.ok);
});

const report = job(
  'report',
  { needs: [words, longWords, probes, ...greetings] },
  async (ctx) => {
    const { upstream } = ctx;
    ctx.log(`${upstream.words.words} words in ${upstream.words.files} files`);
    ctx.log(`${upstream['long-words'].words} long words`);
    ctx.log(`probes: ${upstream.probes.join(',')}`);
    ctx.log(`greetings: ${greetings.map((g) => upstream[g.name]).join(' | ')}`);
    return upstream.words.words;
  },
);

export default project({
  name: 'language-tour',
  sources: ['texts', 'Makefile'],
  jobs: [words, longWords, ...greetings, probes, report],
});
