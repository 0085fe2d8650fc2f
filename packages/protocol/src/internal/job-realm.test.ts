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
    const realm: JobRealm = new JobRealm(code, 'probe.ts', (message) => {
      if (message.type === 'job-succeeded' || message.type === 'job-failed') {
        resolve(message);
      } else {
        answer?.(realm, message);
      }
    });
    realm.startJob({
      runId: 'run-1',
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
    const realm = new JobRealm(bundleWithJob('return 1;'), 'p.ts', () => {});

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
          realm.deliver(request.requestId, {
            taskId: 'probe-1',
            attempt: 1,
            outcome: { exitCode: 7 } as never,
          });
        }
      },
    );

    expect(message).toMatchObject({ valueJson: '7' });
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

  it('reports a require of a Node module with advice', () => {
    const load = () =>
      new JobRealm('require("node:fs");', 'fs.ts', () => undefined);

    expect(load).toThrow(BundleLoadError);
    expect(load).toThrow(/imported 'node:fs'.*in a task/);
  });

  it('stops top-level code that never ends', () => {
    const load = () => new JobRealm('while (true) {}', 'loop.ts', () => {});

    expect(load).toThrow(/Loading loop.ts failed: Script execution timed out/);
  });

  it('says what to export when the bundle exports no project', () => {
    const load = () =>
      new JobRealm('module.exports.default = 3;', 'x.ts', () => {});

    expect(load).toThrow(/does not export a project/);
  });
});
