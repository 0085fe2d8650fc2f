/** Job names must be usable inside task ids, which are subject tokens. */
const JOB_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/** A job as far as the graph is concerned. */
export interface GraphJob {
  name: string;
  needs: readonly string[];
  /** Artifacts it provides, by name. */
  provides?: readonly string[];
  /** Artifacts it consumes, by name. */
  consumes?: readonly string[];
}

/**
 * Adds to each job's `needs` the jobs that provide the artifacts it
 * consumes, so that a consumer starts after its providers.
 */
export function withArtifactEdges<Job extends GraphJob>(
  jobs: readonly Job[],
): Job[] {
  const providers = new Map<string, string>();
  for (const job of jobs) {
    for (const artifact of job.provides ?? []) {
      providers.set(artifact, job.name);
    }
  }
  return jobs.map((job) => {
    const extra = (job.consumes ?? []).flatMap((artifact) => {
      const provider = providers.get(artifact);
      return provider === undefined || provider === job.name ? [] : [provider];
    });
    return { ...job, needs: [...new Set([...job.needs, ...extra])] };
  });
}

function artifactProblems(jobs: readonly GraphJob[]): string[] {
  const problems: string[] = [];
  const providers = new Map<string, string>();
  for (const job of jobs) {
    for (const artifact of job.provides ?? []) {
      const other = providers.get(artifact);
      if (other !== undefined) {
        problems.push(
          `artifact '${artifact}' is provided by both '${other}' and ` +
            `'${job.name}'`,
        );
      }
      providers.set(artifact, job.name);
    }
  }
  for (const job of jobs) {
    for (const artifact of job.consumes ?? []) {
      if (!providers.has(artifact)) {
        problems.push(
          `job '${job.name}' consumes artifact '${artifact}', which no job ` +
            'provides',
        );
      }
    }
  }
  return problems;
}

/**
 * Finds every problem of a job graph at once: duplicate names, upstream
 * jobs that do not exist, artifacts provided twice or by nobody, and
 * cycles (each named as a path), counting the edges from providers to
 * consumers. An empty list means the graph is a DAG.
 */
export function findGraphProblems(given: readonly GraphJob[]): string[] {
  const jobs = withArtifactEdges(given);
  const problems: string[] = artifactProblems(given);
  const names = new Set<string>();
  for (const job of jobs) {
    if (!JOB_NAME_PATTERN.test(job.name) || job.name.length > 100) {
      problems.push(
        `job name '${job.name.slice(0, 100)}' may only hold letters, ` +
          "digits, '-' and '_', at most 100 of them",
      );
    }
    if (names.has(job.name)) {
      problems.push(`two jobs are named '${job.name}'`);
    }
    names.add(job.name);
  }
  for (const job of jobs) {
    for (const upstream of job.needs) {
      if (!names.has(upstream)) {
        problems.push(
          `job '${job.name}' needs '${upstream}', which is not a job of ` +
            'this project',
        );
      }
    }
  }
  for (const cycle of findCycles(jobs)) {
    problems.push(`jobs form a cycle: ${cycle.join(' → ')}`);
  }
  return problems;
}

function findCycles(jobs: readonly GraphJob[]): string[][] {
  const needs = new Map(jobs.map((job) => [job.name, job.needs]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const cycles: string[][] = [];

  function visit(name: string): void {
    state.set(name, 'visiting');
    path.push(name);
    for (const upstream of needs.get(name) ?? []) {
      if (!needs.has(upstream)) {
        continue;
      }
      const seen = state.get(upstream);
      if (seen === 'visiting') {
        cycles.push([...path.slice(path.indexOf(upstream)), upstream]);
      } else if (seen === undefined) {
        visit(upstream);
      }
    }
    path.pop();
    state.set(name, 'done');
  }

  for (const job of jobs) {
    if (!state.has(job.name)) {
      visit(job.name);
    }
  }
  return cycles;
}
