/**
 * Logs: one task runs the command it is given (a generator printing lines
 * of mixed length to stdout).
 */
import { job, param, project } from '@river/sdk';

const command = param.string('command');

const print = job('print', async (ctx) => {
  await ctx.sh(['sh', '-c', ctx.param(command)], { name: 'print' });
});

export default project({
  name: 'bench-logs',
  params: [command],
  jobs: [print],
});
