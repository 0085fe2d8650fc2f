/**
 * Dynamic work at scale: one task writes a list of 1,000 items, then the
 * job runs one task per item, 50 at a time, and checks every answer.
 */
import { fork, job, project } from '@river/sdk';

const COUNT = 1_000;

const fanOut = job('fan-out', async (ctx) => {
  const listing = await ctx.sh(`seq 1 ${COUNT}`);
  const items = listing.stdout.trim().split('\n').map(Number);

  const squares = await fork(
    items,
    async (item) => {
      const result = await ctx.sh(
        ['sh', '-c', 'echo $(($1 * $1))', 'sq', String(item)],
        {
          name: `square-${item}`,
        },
      );
      return Number(result.stdout);
    },
    { concurrency: 50 },
  );

  const wrong = squares.filter((square, index) => square !== (index + 1) ** 2);
  if (wrong.length > 0) {
    throw new Error(`${wrong.length} squares were wrong`);
  }
  const sum = squares.reduce((total, square) => total + square, 0);
  ctx.log(`${squares.length} tasks, sum of squares ${sum}`);
  return sum;
});

export default project({ name: 'fan-out', jobs: [fanOut] });
