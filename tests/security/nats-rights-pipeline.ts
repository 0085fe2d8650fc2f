/**
 * A small pipeline that touches every right a run needs: its own file is
 * uploaded as a source, one task writes a file that the next task reads,
 * job logic logs, each task prints, and results are cached.
 */
import { job, project } from '@river/sdk';

const write = job('write', async (ctx) => {
  const result = await ctx.sh(
    'wc -l < nats-rights-pipeline.ts > lines.txt && cat lines.txt',
    { inputs: ctx.sources, outputs: ['lines.txt'] },
  );
  return result.files;
});

const read = job('read', { needs: [write] }, async (ctx) => {
  const result = await ctx.sh('echo "counted $(cat lines.txt) lines"', {
    inputs: ctx.upstream.write,
  });
  ctx.log(result.stdout.trim());
  return result.stdout.trim();
});

export default project({
  name: 'nats-rights',
  sources: ['nats-rights-pipeline.ts'],
  jobs: [write, read],
  cache: true,
});
