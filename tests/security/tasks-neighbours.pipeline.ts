import { job, param, project } from '@river/sdk';

// Two tasks at once on one sandbox: the keeper writes a secret into its
// workspace and stays a while; the peeker looks for it everywhere it can.

const secret = param.string('secret');

const neighbours = job('neighbours', async (ctx) => {
  const keeper = ctx.sh(`echo ${ctx.param(secret)} > mine.txt; sleep 6`, {
    name: 'keeper',
  });
  const peeker = ctx.sh(
    'sleep 2; ' +
      'find / -path /proc -prune -o -name mine.txt -print 2>/dev/null; ' +
      'cat /proc/[0-9]*/root/workspace/mine.txt /workspace/../*/mine.txt ' +
      '2>/dev/null; ls /proc | grep -c "^[0-9]"; echo looked',
    { name: 'peeker', check: false },
  );
  await Promise.all([keeper, peeker]);
});

export default project({
  name: 'tasks-neighbours',
  params: [secret],
  jobs: [neighbours],
});
