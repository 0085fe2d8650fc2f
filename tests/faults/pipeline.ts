import { fork, job, project } from '@river/sdk';

/** Lines each task prints after its name, so logs can be checked whole. */
export const LINES_PER_TASK = 20;

/** A shell line printing the task's name and its numbered lines. */
export function printer(name: string): string {
  return (
    `echo ${name}; i=1; while [ $i -le ${LINES_PER_TASK} ]; do ` +
    `echo ${name}-line-$i; i=$((i+1)); done`
  );
}

/** Retries cover an attempt lost with a killed sandbox. */
const RETRIES = { retries: 2 } as const;

const fan = job('fan', async (ctx) => {
  const tasks = Array.from({ length: 200 }, (_, index) => index);
  await fork(tasks, (index) => ctx.sh(printer(`fan-${index}`), RETRIES), {
    concurrency: 16,
  });
  return tasks.length;
});

const chain = job('chain', async (ctx) => {
  for (let step = 0; step < 30; step++) {
    await ctx.sh(`${printer(`chain-${step}`)}; sleep 0.05`, RETRIES);
  }
  return 30;
});

const last = job('last', { needs: [fan, chain] }, async (ctx) => {
  await ctx.sh(printer('last'), RETRIES);
  return ctx.upstream.fan + ctx.upstream.chain + 1;
});

export default project({ name: 'fault-pipeline', jobs: [fan, chain, last] });
