import { describe, expect, it } from 'vitest';
import { findGraphProblems } from './job-graph.js';

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
