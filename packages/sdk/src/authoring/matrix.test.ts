import { describe, expect, it } from 'vitest';
import { combinations, matrix } from './matrix.js';

describe('a matrix', () => {
  it('expands every combination, the first axis slowest', () => {
    expect(combinations({ cc: ['gcc', 'clang'], opt: [0, 2] })).toEqual([
      { cc: 'gcc', opt: 0 },
      { cc: 'gcc', opt: 2 },
      { cc: 'clang', opt: 0 },
      { cc: 'clang', opt: 2 },
    ]);
  });

  it('names each cell’s job after its values, made safe for ids', () => {
    const jobs = matrix(
      'build',
      { target: ['x86_64', 'arm64'], flags: ['-O2 -g'] },
      {},
      async () => 1,
    );

    expect(jobs.map((job) => job.name)).toEqual([
      'build-x86_64--O2_-g',
      'build-arm64--O2_-g',
    ]);
  });

  it('refuses two cells that would get one name', () => {
    expect(() => matrix('t', { v: ['a b', 'a.b'] }, {}, async () => 1)).toThrow(
      /two cells the job name t-a_b/,
    );
  });

  it('refuses an empty axis', () => {
    expect(() => combinations({ v: [] })).toThrow(/axis 'v' has no values/);
  });
});
