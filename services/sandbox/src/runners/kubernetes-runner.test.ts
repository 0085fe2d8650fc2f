import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskSpec } from '@river/protocol';
import { createServiceLogger } from '@river/protocol/internal';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutputSink } from '../runner.js';
import {
  type FakeKubernetes,
  type RecordedRequest,
  startFakeKubernetes,
} from '../testing/kubernetes-fake.js';
import { KubernetesApi } from './kubernetes-api.js';
import { jobManifest, jobName } from './kubernetes-job.js';
import { KubernetesRunner } from './kubernetes-runner.js';
import type { RunnerEnd, RunnerRequest } from './task-runner.js';

const NAMESPACE = 'river-tasks';
const JOBS_PATH = `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`;
const PODS_PATH = `/api/v1/namespaces/${NAMESPACE}/pods`;
const TOKEN = 'test-token-1';
const IMAGE = 'registry.example/tools:1.0';
const WORKSPACE = '/var/lib/river/ws/run-1.task-1.1-abc';

let fake: FakeKubernetes;
let runner: KubernetesRunner;
let scratch: string;

/** Output a run printed, and a sink to collect it. */
interface Captured {
  sink: OutputSink;
  text(): string;
  /** Resolves once the output holds `text`. */
  saw(text: string): Promise<void>;
}

function capture(): Captured {
  const parts: Buffer[] = [];
  const waiting: { text: string; resolve: () => void }[] = [];
  const text = () => Buffer.concat(parts).toString();
  return {
    sink: {
      write(stream, data) {
        // The API server merges stdout and stderr into one log.
        expect(stream).toBe('stdout');
        parts.push(Buffer.from(data));
        for (const wait of waiting.filter((item) =>
          text().includes(item.text),
        )) {
          wait.resolve();
        }
        return true;
      },
      drained: async () => undefined,
    },
    text,
    saw: (wanted) =>
      text().includes(wanted)
        ? Promise.resolve()
        : new Promise((resolve) => waiting.push({ text: wanted, resolve })),
  };
}

function request(fields: Partial<RunnerRequest> = {}): RunnerRequest {
  return {
    attemptKey: `run-${randomUUID().slice(0, 8)}.build-1.1`,
    command: 'echo hello',
    workspace: WORKSPACE,
    cwd: '',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: WORKSPACE,
      TMPDIR: `${WORKSPACE}/.tmp`,
      GREETING: 'hi',
    },
    timeoutMs: 30_000,
    network: false,
    limits: { memoryMb: 256, diskMb: 100 },
    image: IMAGE,
    ...fields,
  };
}

function run(
  fields: Partial<RunnerRequest> = {},
  output: Captured = capture(),
): Promise<RunnerEnd> {
  return runner.run(request(fields), output.sink);
}

function posted(): RecordedRequest {
  const found = fake.requests.find(
    (item) => item.method === 'POST' && item.path === JOBS_PATH,
  );
  if (found === undefined) {
    throw new Error('No Job was posted.');
  }
  return found;
}

function deletes(): RecordedRequest[] {
  return fake.requests.filter((item) => item.method === 'DELETE');
}

function spec(fields: Partial<TaskSpec> = {}): TaskSpec {
  return {
    command: 'true',
    env: {},
    cwd: '',
    timeoutMs: 1_000,
    inputs: [],
    outputs: [],
    pool: 'default',
    maxAttempts: 1,
    ...fields,
  };
}

beforeAll(async () => {
  fake = await startFakeKubernetes();
  scratch = await mkdtemp(join(tmpdir(), 'river-k8s-test-'));
  const tokenFile = join(scratch, 'token');
  await writeFile(tokenFile, `${TOKEN}\n`);
  runner = new KubernetesRunner({
    api: new KubernetesApi({ url: fake.url, tokenFile }),
    namespace: NAMESPACE,
    log: createServiceLogger('sandbox', 'silent'),
    pollIntervalMs: 10,
  });
});

afterEach(() => {
  fake.reset();
});

afterAll(async () => {
  await fake?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('the kubernetes runner', () => {
  it('runs a shell line as a Job of its own and follows its log', async () => {
    fake.setScript({ lines: ['hello\n', 'world\n'], exitCode: 0 });
    const output = capture();
    const attempt = request();

    const end = await runner.run(attempt, output.sink);

    expect(end).toEqual({
      kind: 'ended',
      exitCode: 0,
      signal: null,
      timedOut: false,
      cancelled: false,
    });
    expect(output.text()).toBe('hello\nworld\n');
    const name = jobName(attempt.attemptKey);
    expect(posted().body).toEqual(jobManifest(attempt, IMAGE));
    expect(fake.calls()).toContain(
      `GET ${PODS_PATH}/${fake.podsCreated()[0]}/log`,
    );
    // Deleted once read, pods in the background; none is left.
    expect(deletes()).toEqual([
      expect.objectContaining({
        path: `${JOBS_PATH}/${name}`,
        body: expect.objectContaining({ propagationPolicy: 'Background' }),
      }),
    ]);
    expect(fake.jobNames()).toEqual([]);
    for (const sent of fake.requests) {
      expect(sent.authorization).toBe(`Bearer ${TOKEN}`);
    }
  });

  it('builds a Job that Kubernetes never retries, holding nothing extra', async () => {
    const attempt = request({
      command: ['make', 'all'],
      timeoutMs: 90_500,
      resources: { cpus: 0.5, memoryMb: 512 },
    });

    const job = jobManifest(attempt, IMAGE);

    const [runId] = attempt.attemptKey.split('.');
    expect(job.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'river',
      'river-run': runId,
      'river-task': 'build-1',
      'river-attempt': '1',
      'river-network': 'false',
    });
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 91,
      ttlSecondsAfterFinished: 600,
    });
    const pod = (job.spec.template as { spec: Record<string, unknown> }).spec;
    expect(pod).toMatchObject({
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65_534 },
    });
    const [container] = pod.containers as Record<string, unknown>[];
    expect(container).toMatchObject({
      image: IMAGE,
      command: ['make', 'all'],
      workingDir: '/workspace',
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      },
      // The memory hint is capped at the limit, which Kubernetes demands.
      resources: {
        limits: { memory: '256Mi', 'ephemeral-storage': '100Mi' },
        requests: { cpu: '500m', memory: '256Mi' },
      },
    });
    // Paths into the host workspace point into the pod's; the sandbox's
    // own PATH is left to the image.
    expect(container?.env).toEqual([
      { name: 'HOME', value: '/workspace' },
      { name: 'TMPDIR', value: '/tmp' },
      { name: 'GREETING', value: 'hi' },
    ]);
    expect(
      (
        jobManifest(request({ command: 'ls -l' }), IMAGE).spec.template as {
          spec: { containers: { command: string[] }[] };
        }
      ).spec.containers[0]?.command,
    ).toEqual(['/bin/sh', '-c', 'ls -l']);
  });

  it('reports a nonzero exit code', async () => {
    fake.setScript({ lines: ['failing\n'], exitCode: 3 });
    const output = capture();

    const end = await run({}, output);

    expect(end).toMatchObject({ kind: 'ended', exitCode: 3, signal: null });
    expect(output.text()).toBe('failing\n');
    expect(deletes()).toHaveLength(1);
  });

  it('reports a container killed for memory as over its memory limit', async () => {
    fake.setScript({ exitCode: 137, terminatedReason: 'OOMKilled' });

    const end = await run();

    expect(end).toMatchObject({
      kind: 'ended',
      exitCode: null,
      signal: 'SIGKILL',
      limit: 'memory-limit',
    });
  });

  it('adopts the Job an earlier create made instead of failing on AlreadyExists', async () => {
    const attempt = request();
    fake.addJob(jobManifest(attempt, IMAGE), { lines: ['once\n'] });
    const output = capture();

    const end = await runner.run(attempt, output.sink);

    expect(end).toMatchObject({ kind: 'ended', exitCode: 0 });
    expect(output.text()).toBe('once\n');
    const name = jobName(attempt.attemptKey);
    expect(fake.calls().slice(0, 2)).toEqual([
      `POST ${JOBS_PATH}`,
      `GET ${JOBS_PATH}/${name}`,
    ]);
    expect(
      fake.podsCreated().filter((pod) => pod.startsWith(name)),
    ).toHaveLength(1);
    expect(fake.jobNames()).not.toContain(name);
  });

  it('leaves alone a Job of the same name that another attempt made', async () => {
    const attempt = request();
    const other = jobManifest(attempt, IMAGE);
    other.metadata.annotations['river-attempt-key'] = 'another.attempt.1';
    fake.addJob(other, { hang: true });

    const end = await runner.run(attempt, capture().sink);

    expect(end.kind).toBe('spawn-error');
    expect(end.kind === 'spawn-error' && end.error.message).toMatch(
      /already exists for attempt another\.attempt\.1/,
    );
    expect(deletes()).toEqual([]);
    expect(fake.jobNames()).toContain(other.metadata.name);
  });

  it('deletes the Job at the timeout and reports the attempt timed out', async () => {
    fake.setScript({ lines: ['working\n'], hang: true });
    const output = capture();
    const started = Date.now();

    const end = await run({ timeoutMs: 300 }, output);

    expect(end).toMatchObject({
      kind: 'ended',
      timedOut: true,
      cancelled: false,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(output.text()).toBe('working\n');
    expect(posted().body).toMatchObject({
      spec: { activeDeadlineSeconds: 1 },
    });
    expect(deletes()).toHaveLength(1);
    expect(fake.jobNames()).toEqual([]);
  });

  it('reports a Job that Kubernetes ended at its own deadline as timed out', async () => {
    fake.setScript({ hang: true, deadlineAfterMs: 100 });

    const end = await run({ timeoutMs: 60_000 });

    expect(end).toMatchObject({ kind: 'ended', timedOut: true });
  });

  it('deletes the Job when the attempt is cancelled', async () => {
    fake.setScript({ lines: ['started\n'], hang: true });
    const output = capture();
    const abort = new AbortController();

    const running = run({ signal: abort.signal }, output);
    await output.saw('started');
    abort.abort();
    const end = await running;

    expect(end).toMatchObject({
      kind: 'ended',
      timedOut: false,
      cancelled: true,
    });
    expect(deletes()).toHaveLength(1);
    expect(fake.jobNames()).toEqual([]);
  });

  it('fails at once, naming the image, when the image cannot be pulled', async () => {
    fake.setScript({
      waiting: {
        reason: 'ErrImagePull',
        message: 'pull access denied, repository does not exist',
      },
    });

    const end = await run({ timeoutMs: 60_000 });

    expect(end.kind).toBe('spawn-error');
    expect(end.kind === 'spawn-error' && end.error.message).toMatch(
      `image "${IMAGE}" could not be pulled (ErrImagePull: pull access denied`,
    );
    expect(deletes()).toHaveLength(1);
  });

  it('reports a program missing from the image as a missing program', async () => {
    fake.setScript({
      exitCode: 128,
      terminatedReason: 'StartError',
      terminatedMessage:
        'exec: "nope": executable file not found in $PATH: unknown',
    });

    const end = await run({ command: ['nope'] });

    expect(end.kind).toBe('spawn-error');
    expect(end.kind === 'spawn-error' && end.error.code).toBe('ENOENT');
  });

  it('refuses a task without an image before calling the API server', async () => {
    const { image: _image, ...imageless } = request();

    const end = await runner.run(imageless, capture().sink);

    expect(end.kind).toBe('spawn-error');
    expect(end.kind === 'spawn-error' && end.error.message).toBe(
      'The kubernetes runner needs an image, and the task names none; ' +
        'set the image option of the task',
    );
    expect(fake.requests).toEqual([]);
  });

  it('refuses tasks with files, a working directory or secrets, naming them', () => {
    const file = {
      path: 'in.txt',
      digest: 'a'.repeat(64),
      size: 1,
      mode: 0o644,
    };

    expect(runner.refuse(spec())).toBeUndefined();
    expect(runner.refuse(spec({ cwd: '.' }))).toBeUndefined();
    expect(runner.refuse(spec({ inputs: [file], outputs: ['out'] }))).toBe(
      'The kubernetes runner runs a task in an empty workspace of its own ' +
        'pod and keeps secrets out of Job specs, so it does not run tasks ' +
        'with inputs, outputs; run this task on bwrap or docker.',
    );
    expect(runner.refuse(spec({ cwd: 'src', secrets: ['TOKEN'] }))).toMatch(
      /with a working directory, secrets;/,
    );
  });
});

describe('the kubernetes runner facing API server errors', () => {
  it('fails the attempt with the server message and the refused create', async () => {
    fake.inject({
      method: 'POST',
      path: /\/jobs$/,
      status: 403,
      reason: 'Forbidden',
      message:
        'jobs.batch is forbidden: User "system:serviceaccount:river:sandbox" ' +
        `cannot create resource "jobs" in API group "batch" in the ` +
        `namespace "${NAMESPACE}"`,
      times: 1,
    });

    const end = await run();

    expect(end.kind).toBe('spawn-error');
    expect(end.kind === 'spawn-error' && end.error.message).toBe(
      `The Kubernetes API server at ${fake.url} refused POST ${JOBS_PATH} ` +
        'with 403: jobs.batch is forbidden: User ' +
        '"system:serviceaccount:river:sandbox" cannot create resource ' +
        `"jobs" in API group "batch" in the namespace "${NAMESPACE}"`,
    );
    // Nothing was created, so nothing is deleted.
    expect(fake.calls()).toEqual([`POST ${JOBS_PATH}`]);
  });

  it('deletes a Job a failed create may have made when the server errs', async () => {
    fake.inject({
      method: 'POST',
      path: /\/jobs$/,
      status: 500,
      message: 'etcdserver: request timed out',
      times: 1,
    });
    const attempt = request();

    const end = await runner.run(attempt, capture().sink);

    expect(end.kind === 'spawn-error' && end.error.message).toMatch(
      `refused POST ${JOBS_PATH} with 500: etcdserver: request timed out`,
    );
    expect(fake.calls()).toEqual([
      `POST ${JOBS_PATH}`,
      `DELETE ${JOBS_PATH}/${jobName(attempt.attemptKey)}`,
    ]);
  });

  it('names the call when the server errs mid-run, and still deletes the Job', async () => {
    fake.setScript({ hang: true });
    fake.inject({
      method: 'GET',
      path: /\/pods$/,
      status: 500,
      message: 'etcdserver: leader changed',
      times: 1,
    });

    const failed = await run().catch((error: Error) => error);

    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toBe(
      `The Kubernetes API server at ${fake.url} refused GET ${PODS_PATH} ` +
        'with 500: etcdserver: leader changed',
    );
    expect(deletes()).toHaveLength(1);
    expect(fake.jobNames()).toEqual([]);
  });
});

describe('Job names', () => {
  const pattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

  it('are DNS-1123 labels of at most 63 characters, the same for the same attempt', () => {
    const long = `${'Run_'.repeat(30)}.${'job-7'.repeat(20)}.12`;

    for (const key of [long, 'r.t.1', 'RUN_A.Job_b.3', 'a--.-b.1']) {
      expect(jobName(key)).toMatch(pattern);
      expect(jobName(key).length).toBeLessThanOrEqual(63);
      expect(jobName(key)).toBe(jobName(key));
    }
    expect(jobName('run-a1.build-2.1')).toMatch(
      /^river-run-a1-build-2-1-[0-9a-f]{10}$/,
    );
  });

  it('differ for attempts that would read the same once joined and lowercased', () => {
    const keys = ['a-b.c.1', 'a.b-c.1', 'A.b-c.1', 'a_b.c.1', 'a-b.c.2'];

    expect(new Set(keys.map(jobName)).size).toBe(keys.length);
  });
});
