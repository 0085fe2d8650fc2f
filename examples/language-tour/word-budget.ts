/**
 * A second project built from the same job library as pipeline.ts: it
 * counts words with the library's WordCount and fails when a budget is
 * exceeded.
 */
import { job, param, project } from '@river/sdk';
import { WordCount } from './lib/jobs.js';

const budget = param.number('budget', 100);

const count = new WordCount('count', 3);

const enforce = job('enforce', { needs: [count] }, async (ctx) => {
  const { words, files } = ctx.upstream.count;
  const limit = ctx.param(budget);
  ctx.log(`${words} words in ${files} files, budget ${limit}`);
  if (words > limit) {
    throw new Error(`${words} words exceed the budget of ${limit}`);
  }
  return limit - words;
});

export default project({
  name: 'word-budget',
  params: [budget],
  sources: ['texts'],
  jobs: [count, enforce],
});
