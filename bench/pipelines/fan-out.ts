/**
 * Fan-out: one job runs `count` tasks at once, each `sh -c <command>`
 * (`true` unless given), and checks that every one exited with 0.
 */
import { job, param, project } from '@river/sdk';

const count = param.number('count', 10_000);
const command = param.string('command', 'true');

const fanOut = job('fan-out', async (ctx) => {
  const tasks = Array.from({ length: ctx.param(count) }, (_, index) =>
    ctx.sh(['sh', '-c', ctx.param(command)], { name: `task-${index}` }),
  );
  const results = await Promise.all(tasks);
  const failed = results.filter((result) => result.exitCode !== 0);
  if (failed.length > 0) {
    throw new Error(`${failed.length} of ${results.length} tasks failed`);
  }
  return results.length;
});

export default project({
  name: 'bench-fan-out',
  params: [count, command],
  jobs: [fanOut],
});
