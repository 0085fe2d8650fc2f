import { describe, expect, it } from 'vitest';
import { job } from './job.js';
import { param } from './params.js';
import { project } from './project.js';

describe('definitions', () => {
  it('refuse a job timeout a timer cannot hold, or that is not a whole number', () => {
    for (const timeoutMs of [0, -5, 1.5, Number.NaN, 2 ** 31]) {
      expect(() => job('a', { timeoutMs }, async () => 1)).toThrow(
        /timeoutMs must be a whole number from 1 to 2147483647/,
      );
    }
  });

  it('refuse a job name too long for a sandbox file name', () => {
    expect(() => job('j'.repeat(101), async () => 1)).toThrow(/keep it to 100/);
  });

  it('refuse a parameter default that does not fit its type or choices', () => {
    expect(() => param.choice('mode', ['a', 'b'], 'z' as 'a')).toThrow(
      /default "z" is not a valid string of a, b/,
    );
    expect(() => param.number('n', Number.NaN)).toThrow(/not a valid number/);
  });

  it('refuse a project that declares a parameter twice', () => {
    const a = param.string('dup', 'one');
    const b = param.number('dup', 2);

    expect(() =>
      project({ name: 'p', params: [a, b], jobs: [job('j', () => 1)] }),
    ).toThrow(/declares parameter dup twice/);
  });
});
