import { createHash } from 'node:crypto';
import { KILL_GRACE_MS } from '../process-group.js';
import { WORKSPACE_TMP_DIR } from '../workspace.js';
import type { RunnerRequest } from './task-runner.js';

/** The longest name or label value Kubernetes accepts. */
const MAX_NAME_CHARS = 63;
/** Hex digits of the attempt's hash that end every Job name. */
const NAME_HASH_CHARS = 10;
/**
 * How long a finished Job stays before Kubernetes removes it by itself:
 * a safety net for a sandbox that died before it could delete the Job.
 */
const JOB_TTL_SECONDS = 600;
/** The name of the task's container in its pod. */
export const TASK_CONTAINER = 'task';
/** Where the task's empty workspace is mounted. */
const POD_WORKSPACE_PATH = '/workspace';
/** The pod's private, writable /tmp. */
const POD_TMP_PATH = '/tmp';
/** The user and group the task runs as: `nobody` on most images. */
const TASK_USER_ID = 65_534;
/** Annotation holding the exact attempt key, checked before adopting. */
export const ATTEMPT_KEY_ANNOTATION = 'river-attempt-key';

/** Labels of a task's Job and pod, so that an operator can find them. */
const JobLabel = {
  managedBy: 'app.kubernetes.io/managed-by',
  run: 'river-run',
  task: 'river-task',
  attempt: 'river-attempt',
  /** "true" or "false": what a NetworkPolicy may select on. */
  network: 'river-network',
} as const;

/** The parts of a Job manifest the runner and its tests read. */
export interface JobManifest {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: {
    name: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec: Record<string, unknown>;
}

/**
 * The Job name of an attempt: `river-` and its run id, task id and
 * attempt, lowercased, with what a DNS-1123 label may not hold turned to
 * `-` and cut to fit 63 characters, then a hash of the exact attempt key.
 * The hash is always there: ids may hold `-`, `_` and capitals, so two
 * attempts could otherwise read the same once joined and lowercased.
 * The same attempt always gets the same name, so that creating its Job
 * twice finds the first one.
 */
export function jobName(attemptKey: string): string {
  const hash = createHash('sha256')
    .update(attemptKey)
    .digest('hex')
    .slice(0, NAME_HASH_CHARS);
  const readable = `river-${attemptKey}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, MAX_NAME_CHARS - NAME_HASH_CHARS - 1)
    .replace(/-+$/, '');
  return `${readable}-${hash}`;
}

/**
 * A label value for `text`: itself when Kubernetes accepts it (63
 * characters at most, starting and ending with a letter or digit), else
 * a cut of it with a hash, so that distinct ids stay distinct.
 */
function labelValue(text: string): string {
  const valid = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
  if (text.length <= MAX_NAME_CHARS && valid.test(text)) {
    return text;
  }
  const hash = createHash('sha256')
    .update(text)
    .digest('hex')
    .slice(0, NAME_HASH_CHARS);
  const kept = text
    .replace(/[^-A-Za-z0-9_.]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, MAX_NAME_CHARS - NAME_HASH_CHARS - 1)
    .replace(/[^A-Za-z0-9]+$/, '');
  return kept === '' ? hash : `${kept}-${hash}`;
}

/** The labels of an attempt's Job and of its pod. */
function jobLabels(request: RunnerRequest): Record<string, string> {
  const [runId = '', taskId = '', attempt = ''] = request.attemptKey.split('.');
  return {
    [JobLabel.managedBy]: 'river',
    [JobLabel.run]: labelValue(runId),
    [JobLabel.task]: labelValue(taskId),
    [JobLabel.attempt]: labelValue(attempt),
    [JobLabel.network]: String(request.network),
  };
}

/** The whole Job of one attempt, to be posted as it is. */
export function jobManifest(
  request: RunnerRequest,
  image: string,
): JobManifest {
  const labels = jobLabels(request);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(request.attemptKey),
      labels,
      annotations: { [ATTEMPT_KEY_ANNOTATION]: request.attemptKey },
    },
    spec: {
      // River retries a failed attempt as a new attempt; a retry inside
      // Kubernetes would run the same attempt twice behind its back.
      backoffLimit: 0,
      // A backstop for a sandbox that dies: the runner's own timer
      // deletes the Job at the timeout already.
      activeDeadlineSeconds: Math.max(1, Math.ceil(request.timeoutMs / 1000)),
      ttlSecondsAfterFinished: JOB_TTL_SECONDS,
      template: {
        metadata: { labels },
        spec: podSpec(request, image),
      },
    },
  };
}

function podSpec(
  request: RunnerRequest,
  image: string,
): Record<string, unknown> {
  const diskLimit =
    request.limits.diskMb === undefined
      ? {}
      : { sizeLimit: `${request.limits.diskMb}Mi` };
  return {
    restartPolicy: 'Never',
    // The task talks to nothing of the cluster's on River's behalf.
    automountServiceAccountToken: false,
    // Service links would add variables the task did not declare.
    enableServiceLinks: false,
    // The same SIGTERM-then-SIGKILL grace as under the other runners.
    terminationGracePeriodSeconds: Math.ceil(KILL_GRACE_MS / 1000),
    securityContext: {
      runAsNonRoot: true,
      // Set, not only required: an image whose user is root would
      // otherwise be refused, not run as another user.
      runAsUser: TASK_USER_ID,
      runAsGroup: TASK_USER_ID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [
      {
        name: TASK_CONTAINER,
        image,
        // `command` replaces the image's entrypoint, and without `args`
        // its CMD too: the task's command is the whole of what runs.
        command:
          typeof request.command === 'string'
            ? ['/bin/sh', '-c', request.command]
            : [...request.command],
        workingDir: POD_WORKSPACE_PATH,
        env: podEnv(request),
        resources: podResources(request),
        securityContext: {
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        },
        volumeMounts: [
          { name: 'workspace', mountPath: POD_WORKSPACE_PATH },
          { name: 'tmp', mountPath: POD_TMP_PATH },
        ],
      },
    ],
    volumes: [
      { name: 'workspace', emptyDir: diskLimit },
      { name: 'tmp', emptyDir: diskLimit },
    ],
  };
}

/**
 * Limits from the task's resolved limits; requests from its resource
 * hints, never above the limits, since Kubernetes refuses that. Without
 * a memory hint, Kubernetes requests the whole memory limit.
 */
function podResources(request: RunnerRequest): Record<string, unknown> {
  const { limits, resources } = request;
  const limit: Record<string, string> = {};
  if (limits.memoryMb !== undefined) {
    limit.memory = `${limits.memoryMb}Mi`;
  }
  if (limits.diskMb !== undefined) {
    limit['ephemeral-storage'] = `${limits.diskMb}Mi`;
  }
  const asked: Record<string, string> = {};
  if (resources?.cpus !== undefined) {
    asked.cpu = `${Math.max(1, Math.round(resources.cpus * 1000))}m`;
  }
  if (resources?.memoryMb !== undefined) {
    const memoryMb = Math.min(
      resources.memoryMb,
      limits.memoryMb ?? Number.POSITIVE_INFINITY,
    );
    asked.memory = `${memoryMb}Mi`;
  }
  return {
    ...(Object.keys(limit).length === 0 ? {} : { limits: limit }),
    ...(Object.keys(asked).length === 0 ? {} : { requests: asked }),
  };
}

/**
 * The task's environment as the pod sees it: paths into the host's
 * workspace (HOME) point to the pod's, its TMPDIR to the pod's /tmp, and
 * a PATH that is only the sandbox's own default is left to the image.
 */
function podEnv(request: RunnerRequest): { name: string; value: string }[] {
  const tmp = `${request.workspace}/${WORKSPACE_TMP_DIR}`;
  return Object.entries(request.env)
    .filter(([name, value]) => name !== 'PATH' || value !== process.env.PATH)
    .map(([name, value]) => ({
      name,
      value:
        mapPrefix(value, tmp, POD_TMP_PATH) ??
        mapPrefix(value, request.workspace, POD_WORKSPACE_PATH) ??
        value,
    }));
}

function mapPrefix(
  value: string,
  from: string,
  to: string,
): string | undefined {
  if (value === from) {
    return to;
  }
  return value.startsWith(`${from}/`)
    ? to + value.slice(from.length)
    : undefined;
}
