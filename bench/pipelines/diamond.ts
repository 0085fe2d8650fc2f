/**
 * Diamond: 1,000 jobs, one task each: `top`, then 998 jobs that need it,
 * then `bottom`, which needs them all.
 */
import { job, project } from '@river/sdk';

/** Jobs between the top and the bottom. */
const WIDTH = 998;

const top = job('top', async (ctx) => {
  await ctx.sh(['sh', '-c', 'true']);
});
const middle = Array.from({ length: WIDTH }, (_, index) =>
  job(`middle-${index}`, { needs: [top] }, async (ctx) => {
    await ctx.sh(['sh', '-c', 'true']);
  }),
);
const bottom = job('bottom', { needs: middle }, async (ctx) => {
  await ctx.sh(['sh', '-c', 'true']);
});

export default project({
  name: 'bench-diamond',
  jobs: [top, ...middle, bottom],
});
