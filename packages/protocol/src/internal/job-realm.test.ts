import { describe, expect, it } from 'vitest';
import { BundleLoadError, JobRealm, type RealmMessage } from './job-realm.js';

/** A bundle whose one job runs `body` with `host` in scope. */
function bundleWithJob(body: string): string {
  return `module.exports.default = {
    kind: 'river.project', apiVersion: 1, name: 'p', sources: ['src'],
    jobs: [{ name: 'probe', needs: [], start: async (host) => { ${body} } }],
  };`;
}

/** Runs the job and resolves with its final message. */
function runJob(
  code: string,
  answer?: (realm: JobRealm, message: RealmMessage) => void,
): Promise<RealmMessage> {
  return new Promise((resolve) => {
    const realm: JobRealm = new JobRealm(
      code,
      'probe.ts',
      'run-test',
      (message) => {
        if (message.type === 'job-succeeded' || message.type === 'job-failed') {
          resolve(message);
        } else {
          answer?.(realm, message);
        }
      },
    );
    realm.startJob({
      runId: 'run-1',
      now: 1_700_000_000_000,
      job: 'probe',
      upstream: { build: { files: [1, 2] } },
      sources: [],
      params: {},
      artifacts: {},
    });
  });
}

const ESCAPES = {
  'the upstream map': 'host.upstream',
  'the sources list': 'host.sources',
  'the console': 'console.log',
  'the module object': 'module',
  'require itself': 'require',
  'the global object': 'globalThis',
  'a sloppy function’s this': '(function () { return this; })()',
  'the host object': 'host.requestTask',
  'a task request promise': 'host.requestTask({ name: "x", spec: {} })',
};

describe('a job realm', () => {
  it('describes the project its bundle exports', () => {
    const realm = new JobRealm(
      bundleWithJob('return 1;'),
      'p.ts',
      'run-test',
      () => {},
    );

    expect(realm.project).toEqual({
      name: 'p',
      sources: ['src'],
      params: [],
      jobs: [
        {
          name: 'probe',
          needs: [],
          provides: [],
          consumes: [],
          always: false,
          allowFailure: false,
        },
      ],
    });
  });

  it('passes a job its upstream results and returns its value as JSON', async () => {
    const message = await runJob(
      bundleWithJob('return host.upstream.build.files.length + 40;'),
    );

    expect(message).toEqual({
      type: 'job-succeeded',
      job: 'probe',
      valueJson: '42',
    });
  });

  it('resolves a task request with the host’s answer', async () => {
    const message = await runJob(
      bundleWithJob(
        'const r = await host.requestTask({ name: "t", spec: {} });' +
          'return r.outcome.exitCode;',
      ),
      (realm, request) => {
        if (request.type === 'task') {
          realm.deliver(
            request.requestId,
            {
              taskId: 'probe-1',
              attempt: 1,
              outcome: { exitCode: 7 } as never,
            },
            1_700_000_000_000,
          );
        }
      },
    );

    expect(message).toMatchObject({ valueJson: '7' });
  });

  it('gives job logic the recorded clock instead of the machine’s', async () => {
    const message = await runJob(
      bundleWithJob(
        'const r = await host.requestTask({ name: "t", spec: {} });' +
          'return [Date.now(), new Date().getTime(), ' +
          'new Date(5).getTime(), new Date() instanceof Date];',
      ),
      (realm, request) => {
        if (request.type === 'task') {
          realm.deliver(
            request.requestId,
            { taskId: 'probe-1', attempt: 1, outcome: {} as never },
            1_700_000_000_500,
          );
        }
      },
    );

    expect(message).toMatchObject({
      valueJson: '[1700000000500,1700000000500,5,true]',
    });
  });

  it('draws the same random numbers for the same run, others for another', () => {
    const draws = (seed: string) =>
      new Promise<string>((resolve) => {
        const realm: JobRealm = new JobRealm(
          bundleWithJob(
            'return [Math.random(), Math.random(), Math.random()];',
          ),
          'p.ts',
          seed,
          (message) => {
            if (message.type === 'job-succeeded') {
              resolve(message.valueJson);
            }
          },
        );
        realm.startJob({
          runId: seed,
          now: 0,
          job: 'probe',
          upstream: {},
          sources: [],
          params: {},
          artifacts: {},
        });
      });

    return Promise.all([draws('run-a'), draws('run-a'), draws('run-b')]).then(
      ([first, again, other]) => {
        expect(first).toBe(again);
        expect(first).not.toBe(other);
        const numbers = JSON.parse(first) as number[];
        expect(numbers.every((n) => n >= 0 && n < 1)).toBe(true);
        expect(new Set(numbers).size).toBe(3);
      },
    );
  });

  for (const [what, expression] of Object.entries(ESCAPES)) {
    it(`gives job logic no way to the host's process through ${what}`, async () => {
      const message = await runJob(
        bundleWithJob(
          `const value = ${expression};
           const make = value.constructor.constructor;
           return typeof make('return typeof process')();`,
        ),
      );

      expect(message.type).toBe('job-failed');
      expect(JSON.stringify(message)).toMatch(/Code generation from strings/);
    });
  }

  it('gives job logic no WebAssembly and no shared memory', async () => {
    const message = await runJob(
      bundleWithJob(
        'return [typeof WebAssembly, typeof SharedArrayBuffer].join();',
      ),
    );

    expect(message).toMatchObject({ valueJson: '"undefined,undefined"' });
  });

  it('reports a require of a Node module with advice', () => {
    const load = () =>
      new JobRealm('require("node:fs");', 'fs.ts', 'run-test', () => undefined);

    expect(load).toThrow(BundleLoadError);
    expect(load).toThrow(/imported 'node:fs'.*in a task/);
  });

  it('stops top-level code that never ends', () => {
    const load = () =>
      new JobRealm('while (true) {}', 'loop.ts', 'run-test', () => {});

    expect(load).toThrow(/Loading loop.ts failed: Script execution timed out/);
  });

  it('says what to export when the bundle exports no project', () => {
    const load = () =>
      new JobRealm('module.exports.default = 3;', 'x.ts', 'run-test', () => {});

    expect(load).toThrow(/does not export a project/);
  });
});
