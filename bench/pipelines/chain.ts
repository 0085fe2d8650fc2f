/**
 * Chain: `length` tasks one after the other, each adding one to the
 * number the one before printed; the last must print `length`.
 */
import { job, param, project } from '@river/sdk';

const length = param.number('length', 200);

const chain = job('chain', async (ctx) => {
  let value = '0';
  for (let step = 0; step < ctx.param(length); step++) {
    const result = await ctx.sh(
      ['sh', '-c', 'echo $(($1 + 1))', 'add', value],
      { name: `step-${step}` },
    );
    value = result.stdout.trim();
  }
  if (Number(value) !== ctx.param(length)) {
    throw new Error(`the chain ended at ${value}, not ${ctx.param(length)}`);
  }
  return Number(value);
});

export default project({
  name: 'bench-chain',
  params: [length],
  jobs: [chain],
});
