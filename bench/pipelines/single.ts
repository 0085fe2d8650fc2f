/** Single: one job runs one no-op task; the bench times it end to end. */
import { job, project } from '@river/sdk';

const single = job('single', async (ctx) => {
  await ctx.sh(['sh', '-c', 'true'], { name: 'true' });
});

export default project({ name: 'bench-single', jobs: [single] });
