import { type RunEvent, SCHEMA_VERSION } from '@river/protocol';

/** A run's events made up, for tests and the benchmark. */
export interface SyntheticRun {
  /** Every event in order, `run.submitted` to `run.finished`. */
  events: RunEvent[];
}

/**
 * Events of a run of `jobs` jobs with `tasksPerJob` tasks each, one
 * millisecond apart: every task is requested, started and finished, the
 * ones whose number `failEvery` divides failing after a retry.
 */
export function syntheticRun(
  jobs: number,
  tasksPerJob: number,
  failEvery = 0,
): SyntheticRun {
  const runId = 'run-synthetic-0001';
  let at = 1_700_000_000_000;
  const base = () => ({
    schema: SCHEMA_VERSION as typeof SCHEMA_VERSION,
    runId,
    at: at++,
  });
  const names = Array.from({ length: jobs }, (_, index) => `job${index + 1}`);
  const events: RunEvent[] = [
    { ...base(), type: 'run.submitted', file: 'big.ts', bundleDigest: 'd' },
    {
      ...base(),
      type: 'run.started',
      project: 'big',
      jobs: names.map((name) => ({ name, needs: [] })),
      controllerId: 'c1',
    },
  ];
  let count = 0;
  for (const job of names) {
    events.push({ ...base(), type: 'job.started', job });
    for (let n = 1; n <= tasksPerJob; n++) {
      const taskId = `${job}-${n}`;
      const fails = failEvery > 0 && ++count % failEvery === 0;
      events.push(
        {
          ...base(),
          type: 'task.requested',
          job,
          taskId,
          name: taskId,
          command: `make part-${n}`,
          pool: 'default',
        },
        { ...base(), type: 'task.started', taskId, attempt: 1, sandboxId: 's' },
      );
      if (fails) {
        events.push(
          {
            ...base(),
            type: 'task.retrying',
            taskId,
            attempt: 2,
            reason: 'exit code 1',
          },
          {
            ...base(),
            type: 'task.started',
            taskId,
            attempt: 2,
            sandboxId: 's',
          },
        );
      }
      events.push({
        ...base(),
        type: 'task.finished',
        job,
        taskId,
        name: taskId,
        attempt: fails ? 2 : 1,
        outcome: {
          ok: !fails,
          reason: 'exited',
          exitCode: fails ? 1 : 0,
          signal: null,
          durationMs: n * 100,
          stdout: '',
          stderr: fails ? `building part ${n}\nerror: part ${n} broke\n` : '',
          stdoutTruncated: false,
          stderrTruncated: false,
          files: [],
        },
      });
    }
    events.push({
      ...base(),
      type: 'job.finished',
      job,
      status: 'succeeded',
      durationMs: tasksPerJob * 100,
    });
  }
  events.push({
    ...base(),
    type: 'run.finished',
    status: failEvery > 0 ? 'failed' : 'succeeded',
    durationMs: at - 1_700_000_000_000,
  });
  return { events };
}
