import { describe, expect, it } from 'vitest';
import { findGraphProblems, withArtifactEdges } from './job-graph.js';

describe('job graph checks', () => {
  it('accept a diamond', () => {
    const problems = findGraphProblems([
      { name: 'top', needs: [] },
      { name: 'left', needs: ['top'] },
      { name: 'right', needs: ['top'] },
      { name: 'bottom', needs: ['left', 'right'] },
    ]);

    expect(problems).toEqual([]);
  });

  it('name each job of a cycle in order', () => {
    const problems = findGraphProblems([
      { name: 'a', needs: ['c'] },
      { name: 'b', needs: ['a'] },
      { name: 'c', needs: ['b'] },
    ]);

    expect(problems).toEqual(['jobs form a cycle: a → c → b → a']);
  });

  it('report a job that needs itself', () => {
    expect(findGraphProblems([{ name: 'a', needs: ['a'] }])).toEqual([
      'jobs form a cycle: a → a',
    ]);
  });

  it('report every missing upstream job and duplicate name at once', () => {
    const problems = findGraphProblems([
      { name: 'a', needs: ['ghost'] },
      { name: 'a', needs: [] },
      { name: 'b', needs: ['phantom'] },
    ]);

    expect(problems).toEqual([
      "two jobs are named 'a'",
      "job 'a' needs 'ghost', which is not a job of this project",
      "job 'b' needs 'phantom', which is not a job of this project",
    ]);
  });
});

describe('artifact edges', () => {
  it('make a consumer wait for the job that provides its artifact', () => {
    const jobs = withArtifactEdges([
      { name: 'build', needs: [], provides: ['lib'] },
      { name: 'test', needs: ['lint'], consumes: ['lib'] },
      { name: 'lint', needs: [] },
    ]);

    expect(jobs.map((job) => job.needs)).toEqual([[], ['lint', 'build'], []]);
  });

  it('report an artifact nobody provides and one provided twice', () => {
    const problems = findGraphProblems([
      { name: 'a', needs: [], provides: ['lib'] },
      { name: 'b', needs: [], provides: ['lib'] },
      { name: 'c', needs: [], consumes: ['docs'] },
    ]);

    expect(problems).toEqual([
      "artifact 'lib' is provided by both 'a' and 'b'",
      "job 'c' consumes artifact 'docs', which no job provides",
    ]);
  });

  it('count a provider-to-consumer edge in cycles', () => {
    const problems = findGraphProblems([
      { name: 'a', needs: ['b'], provides: ['x'] },
      { name: 'b', needs: [], consumes: ['x'] },
    ]);

    expect(problems).toEqual(['jobs form a cycle: a → b → a']);
  });
});
