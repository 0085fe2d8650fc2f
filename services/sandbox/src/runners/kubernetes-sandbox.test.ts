import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceLogger } from '@river/protocol/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSandboxConfig } from '../config.js';
import { type Harness, startHarness } from '../testing/harness.js';
import {
  type FakeKubernetes,
  startFakeKubernetes,
} from '../testing/kubernetes-fake.js';
import { setUpKubernetes } from './kubernetes-setup.js';
import { createRunnerRegistry } from './registry.js';

const log = createServiceLogger('sandbox', 'silent');
const NAMESPACE = 'river-tasks';

let fake: FakeKubernetes;
let scratch: string;
let tokenFile: string;

beforeAll(async () => {
  fake = await startFakeKubernetes();
  scratch = await mkdtemp(join(tmpdir(), 'river-k8s-sandbox-test-'));
  tokenFile = join(scratch, 'token');
  await writeFile(tokenFile, 'sandbox-token');
});

afterAll(async () => {
  await fake?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('setting up the kubernetes runner', () => {
  it('is unavailable without an API server, and says which setting is missing', async () => {
    const registry = await createRunnerRegistry(
      loadSandboxConfig({
        NATS_URL: 'nats://127.0.0.1:4999',
        RIVER_WORK_DIR: scratch,
        RIVER_RUNNER: 'process',
        RIVER_ALLOWED_RUNNERS: 'process,kubernetes',
      }),
      log,
    );

    expect(registry.select('kubernetes')).toEqual({
      unavailable:
        'The task asks for the kubernetes runner, which this sandbox ' +
        'cannot offer: RIVER_K8S_API names no Kubernetes API server.',
    });
  });

  it('is unavailable without a namespace, or without the files it names', async () => {
    const base = {
      api: fake.url,
      namespace: NAMESPACE,
      tokenFile,
      caFile: undefined,
      log,
    };
    const missing = join(scratch, 'missing');

    expect(await setUpKubernetes({ ...base, namespace: undefined })).toEqual({
      unavailable: 'RIVER_K8S_NAMESPACE names no namespace for task Jobs',
    });
    expect(
      await setUpKubernetes({ ...base, tokenFile: missing }),
    ).toMatchObject({
      unavailable: expect.stringMatching(
        `^the token file ${missing} \\(RIVER_K8S_TOKEN_FILE\\) could not be read`,
      ),
    });
    expect(
      await setUpKubernetes({
        ...base,
        api: 'https://127.0.0.1:1',
        caFile: missing,
      }),
    ).toMatchObject({
      unavailable: expect.stringMatching(
        `^the CA file ${missing} \\(RIVER_K8S_CA_FILE\\) could not be read`,
      ),
    });
  });

  it('is offered once the API server answers, asked with the token', async () => {
    fake.reset();

    const offer = await setUpKubernetes({
      api: fake.url,
      namespace: NAMESPACE,
      tokenFile,
      caFile: undefined,
      log,
    });

    expect(offer).toHaveProperty('runner');
    expect(fake.requests).toMatchObject([
      {
        method: 'GET',
        path: '/version',
        authorization: 'Bearer sandbox-token',
      },
    ]);
  });
});

describe('a sandbox whose tasks run on Kubernetes', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({
      runner: 'kubernetes',
      allowedRunners: 'kubernetes',
      kubernetesApi: fake.url,
      kubernetesNamespace: NAMESPACE,
      kubernetesTokenFile: tokenFile,
    });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('runs a task as a Job and reports its output and exit', async () => {
    fake.reset();
    fake.setScript({ lines: ['from the pod\n'], exitCode: 0 });

    const [, result] = await harness.run({ command: 'echo', image: 'busybox' });

    expect(result.outcome).toMatchObject({
      ok: true,
      reason: 'exited',
      exitCode: 0,
      stdout: 'from the pod\n',
    });
    expect(fake.jobNames()).toEqual([]);
  });

  it('refuses a task with outputs before it fetches inputs or creates a Job', async () => {
    fake.reset();

    const [, result] = await harness.run({
      command: 'make',
      image: 'busybox',
      outputs: ['out.txt'],
    });

    expect(result.outcome).toMatchObject({
      ok: false,
      reason: 'runner-unavailable',
      message: expect.stringContaining('does not run tasks with outputs'),
    });
    expect(fake.requests).toEqual([]);
  });

  it('fails a task with no image as not started, naming the image option', async () => {
    fake.reset();

    const [, result] = await harness.run({ command: 'true' });

    expect(result.outcome).toMatchObject({
      ok: false,
      reason: 'spawn-failed',
      message:
        'Command "true" could not be started: The kubernetes runner needs ' +
        'an image, and the task names none; set the image option of the ' +
        'task.',
    });
    expect(fake.requests).toEqual([]);
  });
});
