import { constants } from 'node:os';
import { TASK_CONTAINER } from './kubernetes-job.js';

/** Highest signal number an exit status of 128 + n may stand for. */
const MAX_SIGNAL = 64;

/**
 * Waiting reasons of a container that will not start without someone
 * changing the task or the cluster: the attempt fails at once rather
 * than at its timeout.
 */
const HOPELESS_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

/** The state of a container, in the API's field names. */
export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: {
    exitCode: number;
    signal?: number;
    reason?: string;
    message?: string;
  };
}

/** The parts of a Pod the runner reads. */
export interface PodObject {
  metadata: {
    name: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
    }[];
    containerStatuses?: { name: string; state?: ContainerState }[];
  };
}

/** The parts of a Job the runner reads. */
export interface JobObject {
  metadata: { name: string; annotations?: Record<string, string> };
  status?: {
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
    }[];
  };
}

/** The task container's state in `pod`, when the kubelet reported one. */
export function taskState(pod: PodObject): ContainerState | undefined {
  return pod.status?.containerStatuses?.find(
    (status) => status.name === TASK_CONTAINER,
  )?.state;
}

/** The newest of a Job's pods; with `backoffLimit: 0` there is one. */
export function newestPod(pods: readonly PodObject[]): PodObject | undefined {
  return [...pods].sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(
      a.metadata.creationTimestamp ?? '',
    ),
  )[0];
}

/**
 * Why a pod's task container will never start, in one sentence, or
 * undefined while it may still start.
 */
export function hopelessStart(
  pod: PodObject,
  image: string,
): string | undefined {
  const waiting = taskState(pod)?.waiting;
  if (waiting?.reason === undefined || !HOPELESS_WAITING.has(waiting.reason)) {
    return undefined;
  }
  const detail = waiting.message === undefined ? '' : `: ${waiting.message}`;
  const what = /Image/.test(waiting.reason)
    ? `image "${image}" could not be pulled`
    : 'the container could not be created';
  return (
    `The task's pod ${pod.metadata.name} did not start: ${what} ` +
    `(${waiting.reason}${detail})`
  );
}

/** Why the scheduler cannot place the pod yet, if it said so. */
export function unschedulable(pod: PodObject): string | undefined {
  const condition = pod.status?.conditions?.find(
    (item) => item.type === 'PodScheduled' && item.status === 'False',
  );
  return condition?.reason === 'Unschedulable'
    ? (condition.message ?? condition.reason)
    : undefined;
}

/**
 * Whether Kubernetes failed the Job for running past its
 * `activeDeadlineSeconds`; newer servers mark it `FailureTarget` first.
 */
export function deadlineExceeded(job: JobObject): boolean {
  return (job.status?.conditions ?? []).some(
    (condition) =>
      (condition.type === 'Failed' || condition.type === 'FailureTarget') &&
      condition.status === 'True' &&
      condition.reason === 'DeadlineExceeded',
  );
}

/** The sentence of a Job's failure other than its deadline, if any. */
export function jobFailure(job: JobObject): string | undefined {
  const failed = (job.status?.conditions ?? []).find(
    (condition) => condition.type === 'Failed' && condition.status === 'True',
  );
  if (failed === undefined) {
    return undefined;
  }
  return `${failed.reason ?? 'Failed'}: ${failed.message ?? 'no message'}`;
}

/**
 * Whether a container that ended never ran its command: the runtime
 * could not start it. Its message then says why, as the runtime put it.
 */
export function failedToStart(
  terminated: NonNullable<ContainerState['terminated']>,
): boolean {
  return (
    terminated.reason === 'StartError' ||
    terminated.reason === 'ContainerCannotRun'
  );
}

/**
 * Whether the kubelet evicted the pod for filling more ephemeral storage
 * (an emptyDir, its logs) than its limits allow.
 */
export function evictedForDisk(pod: PodObject): boolean {
  return (
    pod.status?.reason === 'Evicted' &&
    /ephemeral|emptyDir|storage/i.test(pod.status.message ?? '')
  );
}

/** The signal an exit status of 128 + n stands for, if any. */
export function signalOf(status: number): NodeJS.Signals | null {
  const number = status - 128;
  if (number < 1 || number > MAX_SIGNAL) {
    return null;
  }
  const entry = Object.entries(constants.signals).find(
    ([, value]) => value === number,
  );
  return entry === undefined ? null : (entry[0] as NodeJS.Signals);
}
