import { check, Subjects } from '@river/protocol';
import { describe, expect, it } from 'vitest';
import { DefinitionError } from './errors.js';
import { shellTaskRequest } from './task.js';

function asRequest(spec: ReturnType<typeof shellTaskRequest>['spec']) {
  return {
    schema: 1,
    runId: 'run-1',
    taskId: 'job-1',
    job: 'job',
    name: 'x',
    requestedAt: 1,
    spec,
  };
}

describe('a shell task request', () => {
  it('carries labels, resource hints and a retry policy that fit the protocol', () => {
    const { spec } = shellTaskRequest(['make', 'lib'], {
      labels: ['linux', 'gcc'],
      resources: { cpus: 0.5, memoryMb: 512 },
      retries: 2,
      retryDelayMs: 100,
      retryOnExitCodes: [75],
    });

    expect(spec).toMatchObject({
      command: ['make', 'lib'],
      labels: ['linux', 'gcc'],
      resources: { cpus: 0.5, memoryMb: 512 },
      maxAttempts: 3,
      retry: { delayMs: 100, onExitCodes: [75] },
    });
    expect(() =>
      check('taskRequest', Subjects.taskRequest, asRequest(spec)),
    ).not.toThrow();
  });

  it('leaves out what was not asked for', () => {
    const { spec } = shellTaskRequest('true');

    expect(Object.keys(spec).sort()).toEqual([
      'command',
      'cwd',
      'env',
      'inputs',
      'maxAttempts',
      'outputs',
      'pool',
      'timeoutMs',
    ]);
  });

  it('is refused by the protocol when a label is not a single token', () => {
    const { spec } = shellTaskRequest('true', { labels: ['two words'] });

    expect(() =>
      check('taskRequest', Subjects.taskRequest, asRequest(spec)),
    ).toThrow(/\/spec\/labels\/0/);
  });

  it('refuses an env variable name holding = or NUL, naming it', () => {
    for (const name of ['A=B', 'A\0B', '']) {
      expect(() => shellTaskRequest('true', { env: { [name]: 'x' } })).toThrow(
        new DefinitionError(
          `sh() env variable ${JSON.stringify(name)} cannot be set: a ` +
            "name must be non-empty and hold no '=' or NUL.",
        ),
      );
    }
  });

  it('is refused by the protocol when an env name holds = or NUL', () => {
    const { spec } = shellTaskRequest('true', { env: { GOOD: '=ok=' } });
    expect(() =>
      check('taskRequest', Subjects.taskRequest, asRequest(spec)),
    ).not.toThrow();

    for (const name of ['A=B', 'A\0B']) {
      expect(() =>
        check(
          'taskRequest',
          Subjects.taskRequest,
          asRequest({ ...spec, env: { [name]: 'x' } }),
        ),
      ).toThrow(`/spec/env/${name}`);
    }
  });

  it('refuses an empty command', () => {
    expect(() => shellTaskRequest('  ')).toThrow(/needs a command/);
  });
});
