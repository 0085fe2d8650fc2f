import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { natsServerBinary, natsServerConfig, newRoleUsers } from '@river/cli';
import { versionAtLeast } from '@river/protocol/internal';
import { Ajv, type ErrorObject } from 'ajv';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../helpers/river.js';

// Offline checks of deploy/: every Kubernetes document against the JSON
// schema of its kind (kubernetes-models 4.5, Kubernetes' OpenAPI; KEDA's
// ScaledObject from @kubernetes-models/keda 0.4, KEDA 2.10.1's CRD), and
// compose.yaml against the Compose Specification's schema (the copy dclint
// ships). Kubernetes' schemas do not refuse unknown fields (the API server
// does that with strict field validation); the Compose schema does.

const K8S_DIR = join(REPO_ROOT, 'deploy/k8s');
const COMPOSE_FILE = join(REPO_ROOT, 'deploy/compose.yaml');

/** A model class of kubernetes-models: `validate()` throws on a bad doc. */
type ModelClass = new (data: never) => { validate(): void };

/** The kinds deploy/k8s may use, by `apiVersion kind`. */
const MODELS: Record<string, ModelClass> = {
  'v1 Namespace': Namespace,
  'v1 ConfigMap': ConfigMap,
  'v1 Service': Service,
  'apps/v1 StatefulSet': StatefulSet,
  'apps/v1 Deployment': Deployment,
  'batch/v1 Job': Job,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1 ScaledObject': ScaledObject,
};

type Manifest = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
};

/** Every document of every YAML file under deploy/k8s, with its file. */
async function k8sManifests(): Promise<Array<{ file: string; doc: Manifest }>> {
  const files = (await readdir(K8S_DIR)).filter((name) =>
    /\.ya?ml$/.test(name),
  );
  const manifests: Array<{ file: string; doc: Manifest }> = [];
  for (const file of files.sort()) {
    const text = await readFile(join(K8S_DIR, file), 'utf8');
    for (const document of parseAllDocuments(text)) {
      expect(document.errors.map(String), file).toEqual([]);
      const doc = document.toJS() as Manifest | null;
      if (doc !== null) {
        manifests.push({ file, doc });
      }
    }
  }
  return manifests;
}

/** The first error of validating `doc` against its kind's schema. */
function k8sProblem(doc: Manifest): string | undefined {
  const Model = MODELS[`${doc.apiVersion} ${doc.kind}`];
  if (Model === undefined) {
    return `no schema for apiVersion ${doc.apiVersion}, kind ${doc.kind}`;
  }
  try {
    new Model(structuredClone(doc) as never).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

async function composeDocument(): Promise<Record<string, unknown>> {
  const text = await readFile(COMPOSE_FILE, 'utf8');
  const documents = parseAllDocuments(text, { merge: true });
  expect(documents).toHaveLength(1);
  const [document] = documents;
  expect(document?.errors.map(String)).toEqual([]);
  return document?.toJS() as Record<string, unknown>;
}

/** The Compose Specification's JSON schema, compiled. */
async function composeValidator() {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('dclint/package.json'));
  const schema = JSON.parse(
    await readFile(join(dir, 'schemas/compose.schema.json'), 'utf8'),
  );
  // It names its meta-schema by an https URL that Ajv does not know by
  // that name; Ajv's draft-07 is the same. Formats are not checked.
  delete schema.$schema;
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  return ajv.compile(schema);
}

/** Ajv's errors, each naming the field it is about. */
function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((error) => {
      const extra =
        'additionalProperty' in error.params
          ? ` (${error.params.additionalProperty})`
          : '';
      return `${error.instancePath || '/'} ${error.message}${extra}`;
    })
    .join('; ');
}

function findDoc(
  manifests: Array<{ doc: Manifest }>,
  kind: string,
  name: string,
): Manifest {
  const found = manifests.find(
    ({ doc }) => doc.kind === kind && doc.metadata?.name === name,
  );
  if (found === undefined) {
    throw new Error(`deploy/k8s has no ${kind} ${name}`);
  }
  return structuredClone(found.doc);
}

/** A container's environment variable in a Deployment, as text. */
function envOf(deployment: Manifest, name: string): string | undefined {
  const spec = deployment.spec as {
    template: {
      spec: {
        containers: Array<{ env?: Array<{ name: string; value?: string }> }>;
      };
    };
  };
  return spec.template.spec.containers[0]?.env?.find(
    (variable) => variable.name === name,
  )?.value;
}

describe('the Kubernetes manifests', () => {
  it('are each valid against the schema of their kind', async () => {
    const manifests = await k8sManifests();

    expect(manifests.length).toBeGreaterThan(10);
    for (const { file, doc } of manifests) {
      expect(k8sProblem(doc), `${file}: ${doc.kind}`).toBeUndefined();
    }
  });

  it('refuse a Deployment with a broken field, naming it', async () => {
    const sandbox = findDoc(
      await k8sManifests(),
      'Deployment',
      'river-sandbox-default',
    );
    const spec = sandbox.spec as { template: { spec: Manifest } };
    spec.template.spec.terminationGracePeriodSeconds = '45s';

    expect(k8sProblem(sandbox)).toMatch(
      /spec\/template\/spec\/terminationGracePeriodSeconds must be integer/,
    );
  });

  it('refuse a ScaledObject with a broken field, naming it', async () => {
    const scaler = findDoc(
      await k8sManifests(),
      'ScaledObject',
      'river-sandbox-default',
    );
    const spec = scaler.spec as {
      triggers: Array<{ metadata: Record<string, unknown> }>;
      fallback: Record<string, unknown>;
    };
    spec.triggers[0] = { metadata: { lagThreshold: 4 } };
    delete spec.fallback.failureThreshold;

    const problem = k8sProblem(scaler);
    expect(problem).toMatch(/spec\/triggers\/0\/metadata\/lagThreshold/);
    expect(problem).toMatch(/spec\/triggers\/0 must have required property/);
    expect(problem).toMatch(/required property failureThreshold/);
  });

  it('give sandboxes time to drain and scale them by their slots', async () => {
    const manifests = await k8sManifests();
    const sandbox = findDoc(manifests, 'Deployment', 'river-sandbox-default');
    const scaler = findDoc(manifests, 'ScaledObject', 'river-sandbox-default');
    const drainMs = Number(envOf(sandbox, 'RIVER_DRAIN_GRACE_MS'));
    const graceSeconds = (
      sandbox.spec as { template: { spec: Record<string, number> } }
    ).template.spec.terminationGracePeriodSeconds;
    const trigger = (
      scaler.spec as {
        minReplicaCount: number;
        triggers: Array<{ type: string; metadata: Record<string, string> }>;
      }
    ).triggers[0];

    // The drain, 5 s to hand back, 5 s to drain the connection.
    expect(graceSeconds).toBeGreaterThanOrEqual(drainMs / 1_000 + 10);
    expect(trigger?.metadata.lagThreshold).toBe(envOf(sandbox, 'RIVER_SLOTS'));
    expect(trigger?.metadata).toMatchObject({
      stream: 'RIVER_DISPATCH',
      consumer: `sandbox-${envOf(sandbox, 'RIVER_POOL')}`,
      account: '$G',
    });
    expect(
      (scaler.spec as { minReplicaCount: number }).minReplicaCount,
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('the compose file', () => {
  it('is valid against the Compose Specification', async () => {
    const validate = await composeValidator();
    const compose = await composeDocument();

    expect(validate(compose), describeErrors(validate.errors)).toBe(true);
  });

  it('refuses a service with an unknown or mistyped field, naming it', async () => {
    const validate = await composeValidator();
    const compose = await composeDocument();
    const services = compose.services as Record<
      string,
      Record<string, unknown>
    >;
    const sandbox = services.sandbox as Record<string, unknown>;
    sandbox.stop_grace_periods = '40s';
    sandbox.secrets = 'nats-sandbox-default';

    expect(validate(compose)).toBe(false);
    const problems = describeErrors(validate.errors);
    expect(problems).toContain(
      '/services/sandbox must NOT have additional properties ' +
        '(stop_grace_periods)',
    );
    expect(problems).toContain('/services/sandbox/secrets must be array');
  });

  it('gives sandboxes time to drain', async () => {
    const compose = await composeDocument();
    const sandbox = (compose.services as Record<string, Manifest>).sandbox as {
      stop_grace_period: string;
      environment: Record<string, string>;
    };
    const drainMs = Number(sandbox.environment.RIVER_DRAIN_GRACE_MS);

    expect(sandbox.stop_grace_period).toMatch(/^\d+s$/);
    expect(Number.parseInt(sandbox.stop_grace_period, 10)).toBeGreaterThan(
      drainMs / 1_000 + 10,
    );
  });
});

describe('the NATS configurations', () => {
  const run = promisify(execFile);

  /** nats-server's check of `config`, beside a generated users file. */
  async function checked(config: string, env: NodeJS.ProcessEnv) {
    const dir = await mkdtemp(join(tmpdir(), 'river-deploy-test-'));
    try {
      const { stdout } = await run(natsServerBinary(), ['--version']);
      const version = /v(\d+\.\d+\.\d+)/.exec(stdout)?.[1] ?? '0.0.0';
      // 2.9 refuses sync_interval (it came with 2.10); the rest is checked.
      const text = versionAtLeast(version, '2.10.0')
        ? config
        : config.replace(/^\s*sync_interval: always\n/m, '');
      const users = natsServerConfig({
        listen: '0.0.0.0:4222',
        storeDir: '/data',
        users: newRoleUsers(['default']),
      });
      await writeFile(join(dir, 'river-users.conf'), users);
      await writeFile(join(dir, 'nats.conf'), text);

      return await run(
        natsServerBinary(),
        ['-t', '-c', join(dir, 'nats.conf')],
        { env: { ...process.env, ...env } },
      ).then(
        () => 'valid',
        (error: Error) => error.message,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('of the compose cluster are accepted by nats-server', async () => {
    const config = await readFile(
      join(REPO_ROOT, 'deploy/compose/nats.conf'),
      'utf8',
    );

    expect(config).toMatch(/^\s*sync_interval: always$/m);
    expect(await checked(config, { SERVER_NAME: 'n1' })).toBe('valid');
  });

  it('of the StatefulSet are accepted by nats-server', async () => {
    const configMap = findDoc(
      await k8sManifests(),
      'ConfigMap',
      'river-nats-config',
    );
    const config = (configMap.data as Record<string, string>)['nats.conf'];

    expect(config).toMatch(/^\s*sync_interval: always$/m);
    expect(config).toMatch(/^http: 0\.0\.0\.0:8222$/m);
    expect(await checked(config ?? '', { POD_NAME: 'river-nats-0' })).toBe(
      'valid',
    );
  });

  it('refuse a broken configuration, naming the line', async () => {
    expect(
      await checked('include ./river-users.conf\nlame_duck_duration: 5s\n', {
        SERVER_NAME: 'n1',
      }),
    ).toMatch(/nats\.conf:2:\d+: invalid lame_duck_duration/);
  });
});
