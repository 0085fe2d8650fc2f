import { readFile } from 'node:fs/promises';
import type { Logger } from '@river/protocol/internal';
import { KubernetesApi } from './kubernetes-api.js';
import { KubernetesRunner } from './kubernetes-runner.js';

/** Where a pod finds its service account's token. */
export const IN_CLUSTER_TOKEN_FILE =
  '/var/run/secrets/kubernetes.io/serviceaccount/token';
/** Where a pod finds the CA bundle of its cluster's API server. */
export const IN_CLUSTER_CA_FILE =
  '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

/** What setting up the kubernetes runner needs. */
export interface KubernetesSetup {
  /** The API server's URL (`RIVER_K8S_API`); no runner without it. */
  api: string | undefined;
  /** The namespace of task Jobs (`RIVER_K8S_NAMESPACE`). */
  namespace: string | undefined;
  /** `RIVER_K8S_TOKEN_FILE`; unset, {@link IN_CLUSTER_TOKEN_FILE}. */
  tokenFile: string | undefined;
  /** `RIVER_K8S_CA_FILE`; unset, {@link IN_CLUSTER_CA_FILE}. */
  caFile: string | undefined;
  log: Logger;
  /** Pause between two looks at a Job's pod, for tests. */
  pollIntervalMs?: number;
}

/**
 * Sets up the kubernetes runner when the sandbox names an API server and
 * a namespace, and checks that the server answers. Returns why not, in
 * words that name the missing or failing setting. There is deliberately
 * no default server: a sandbox uses only the cluster its settings name,
 * even when it runs inside one.
 *
 * A token is required for an `https://` server. A plain `http://` server
 * (`kubectl proxy` on the sandbox's host) may go without one, when
 * `RIVER_K8S_TOKEN_FILE` is unset and no in-cluster token exists.
 */
export async function setUpKubernetes(
  setup: KubernetesSetup,
): Promise<{ runner: KubernetesRunner } | { unavailable: string }> {
  if (setup.api === undefined) {
    return { unavailable: 'RIVER_K8S_API names no Kubernetes API server' };
  }
  if (setup.namespace === undefined) {
    return {
      unavailable: 'RIVER_K8S_NAMESPACE names no namespace for task Jobs',
    };
  }
  const secure = setup.api.startsWith('https:');

  const tokenFile = setup.tokenFile ?? IN_CLUSTER_TOKEN_FILE;
  let token: string | undefined = tokenFile;
  try {
    await readFile(tokenFile);
  } catch (error) {
    if (setup.tokenFile !== undefined || secure) {
      return {
        unavailable:
          `the token file ${tokenFile} (RIVER_K8S_TOKEN_FILE) could not ` +
          `be read: ${messageOf(error)}`,
      };
    }
    token = undefined;
  }

  let ca: Buffer | undefined;
  if (secure) {
    const caFile = setup.caFile ?? IN_CLUSTER_CA_FILE;
    try {
      ca = await readFile(caFile);
    } catch (error) {
      return {
        unavailable:
          `the CA file ${caFile} (RIVER_K8S_CA_FILE) could not be read: ` +
          messageOf(error),
      };
    }
  }

  let api: KubernetesApi;
  try {
    api = new KubernetesApi({
      url: setup.api,
      ...(token === undefined ? {} : { tokenFile: token }),
      ...(ca === undefined ? {} : { ca }),
    });
    const version = await api.call('GET', '/version');
    setup.log.info(
      {
        kubernetesApi: setup.api,
        namespace: setup.namespace,
        version: (version.body as { gitVersion?: string }).gitVersion,
        token: token !== undefined,
      },
      'Kubernetes API server answers',
    );
  } catch (error) {
    return { unavailable: messageOf(error) };
  }
  return {
    runner: new KubernetesRunner({
      api,
      namespace: setup.namespace,
      log: setup.log,
      ...(setup.pollIntervalMs === undefined
        ? {}
        : { pollIntervalMs: setup.pollIntervalMs }),
    }),
  };
}

/** The error's sentence without its full stop, to be quoted in another. */
function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\.$/, '');
}
