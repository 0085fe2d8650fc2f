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

  it('refuses a label that is not a single word, naming the task and label', () => {
    expect(() => shellTaskRequest('true', { labels: ['two words'] })).toThrow(
      /Task true label "two words" must be a word/,
    );
    expect(() =>
      shellTaskRequest('true', { labels: ['x'.repeat(65)] }),
    ).toThrow(/at most 64 characters/);
  });

  it('refuses labels given as one string instead of a list', () => {
    const labels = 'gpu' as unknown as string[];
    expect(() => shellTaskRequest('true', { labels })).toThrow(
      /labels must be a list such as \['gcc'\], not "gpu"/,
    );
  });

  it('is refused by the protocol when a label is too long, whoever made it', () => {
    const { spec } = shellTaskRequest('true');
    const request = asRequest({ ...spec, labels: ['y'.repeat(65)] });

    expect(() => check('taskRequest', Subjects.taskRequest, request)).toThrow(
      /\/spec\/labels\/0/,
    );
  });

  it('carries a priority and concurrency limits, a key alone meaning one at a time', () => {
    const { spec } = shellTaskRequest('true', {
      priority: -5,
      concurrency: ['deploy', { key: 'db', max: 4 }],
    });

    expect(spec).toMatchObject({
      priority: -5,
      concurrency: [
        { key: 'deploy', max: 1 },
        { key: 'db', max: 4 },
      ],
    });
    expect(() => shellTaskRequest('true', { priority: 1.5 })).toThrow(
      /priority must be a whole number from -1000 to 1000; it was 1.5/,
    );
    expect(() =>
      shellTaskRequest('true', { concurrency: { key: 'db', max: 0 } }),
    ).toThrow(/concurrency limit db needs max/);
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
