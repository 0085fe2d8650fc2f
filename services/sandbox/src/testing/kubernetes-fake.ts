import { randomBytes, randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How the pod of a Job plays out on the fake API server: it starts,
 * prints its lines, then ends with its exit code, unless told otherwise.
 */
export interface PodScript {
  /** Output of the task, one piece every {@link lineDelayMs}. */
  lines?: string[];
  /** The container's exit code; 0 unless said. */
  exitCode?: number;
  /** The terminated state's reason, such as `OOMKilled` or `StartError`. */
  terminatedReason?: string;
  terminatedMessage?: string;
  /** Keeps running after its lines until its Job is deleted. */
  hang?: boolean;
  /** Never starts: the container stays waiting for this reason. */
  waiting?: { reason: string; message: string };
  /** Kubernetes fails the Job at its deadline this long after start. */
  deadlineAfterMs?: number;
  /** Pause between two lines; 5 ms unless said. */
  lineDelayMs?: number;
}

/** One request the fake server received. */
export interface RecordedRequest {
  method: string;
  /** The path without its query. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
}

/** An error status the fake server answers a matching call with. */
export interface InjectedFault {
  method: string;
  path: RegExp;
  status: number;
  message: string;
  reason?: string;
  /** Calls it answers before it goes away; every call unless said. */
  times?: number;
}

/** A fake Kubernetes API server on 127.0.0.1, for the runner's tests. */
export interface FakeKubernetes {
  url: string;
  requests: RecordedRequest[];
  /** How the pods of Jobs created from now on play out. */
  setScript(script: PodScript): void;
  /** Answers matching calls with an error status. */
  inject(fault: InjectedFault): void;
  /** Creates a Job as a create before would have, with its pod. */
  addJob(manifest: unknown, script?: PodScript): void;
  /** Names of the Jobs that exist now. */
  jobNames(): string[];
  /** Pods ever created, by name. */
  podsCreated(): string[];
  /** Calls made, as `METHOD path`. */
  calls(): string[];
  /** Forgets requests, faults, Jobs and pods, and the script. */
  reset(): void;
  close(): Promise<void>;
}

interface FakeJob {
  object: Record<string, unknown> & {
    metadata: { name: string; [key: string]: unknown };
    status: { conditions: Record<string, unknown>[] };
  };
}

interface FakePod {
  jobName: string;
  object: {
    metadata: Record<string, unknown> & { name: string };
    status: Record<string, unknown> & {
      phase: string;
      containerStatuses: { name: string; state: Record<string, unknown> }[];
    };
  };
  log: Buffer[];
  followers: Set<ServerResponse>;
  timers: Set<NodeJS.Timeout>;
  ended: boolean;
}

/**
 * Starts a fake API server that records every request and plays Jobs
 * and their pods as the runner sees them through the API: a Job's pod
 * appears on create, runs its script, and is deleted with its Job.
 */
export async function startFakeKubernetes(): Promise<FakeKubernetes> {
  const requests: RecordedRequest[] = [];
  const jobs = new Map<string, FakeJob>();
  const pods = new Map<string, FakePod>();
  const created: string[] = [];
  const faults: InjectedFault[] = [];
  let script: PodScript = {};

  function later(pod: FakePod, ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      pod.timers.delete(timer);
      action();
    }, ms);
    pod.timers.add(timer);
  }

  function setState(pod: FakePod, state: Record<string, unknown>): void {
    const status = pod.object.status.containerStatuses[0];
    if (status !== undefined) {
      status.state = state;
    }
  }

  function terminate(
    pod: FakePod,
    exitCode: number,
    reason: string,
    message?: string,
  ): void {
    if (pod.ended) {
      return;
    }
    pod.ended = true;
    setState(pod, {
      terminated: {
        exitCode,
        reason,
        ...(message === undefined ? {} : { message }),
      },
    });
    pod.object.status.phase = exitCode === 0 ? 'Succeeded' : 'Failed';
    for (const follower of pod.followers) {
      follower.end();
    }
    pod.followers.clear();
  }

  function print(pod: FakePod, text: string): void {
    const data = Buffer.from(text);
    pod.log.push(data);
    for (const follower of pod.followers) {
      follower.write(data);
    }
  }

  function removePod(pod: FakePod): void {
    for (const timer of pod.timers) {
      clearTimeout(timer);
    }
    pods.delete(pod.object.metadata.name);
  }

  function startPod(jobName: string, podScript: PodScript): void {
    const name = `${jobName}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const pod: FakePod = {
      jobName,
      object: {
        metadata: {
          name,
          uid: randomUUID(),
          creationTimestamp: new Date().toISOString(),
          labels: { 'job-name': jobName },
        },
        status: {
          phase: 'Pending',
          containerStatuses: [
            {
              name: 'task',
              state: { waiting: { reason: 'ContainerCreating' } },
            },
          ],
        },
      },
      log: [],
      followers: new Set(),
      timers: new Set(),
      ended: false,
    };
    pods.set(name, pod);
    created.push(name);

    later(pod, 5, () => {
      if (podScript.waiting !== undefined) {
        setState(pod, { waiting: podScript.waiting });
        return;
      }
      pod.object.status.phase = 'Running';
      setState(pod, { running: { startedAt: new Date().toISOString() } });
      const lines = podScript.lines ?? [];
      const step = podScript.lineDelayMs ?? 5;
      lines.forEach((line, index) => {
        later(pod, step * (index + 1), () => print(pod, line));
      });
      if (!podScript.hang) {
        const exitCode = podScript.exitCode ?? 0;
        later(pod, step * (lines.length + 1), () =>
          terminate(
            pod,
            exitCode,
            podScript.terminatedReason ??
              (exitCode === 0 ? 'Completed' : 'Error'),
            podScript.terminatedMessage,
          ),
        );
      }
      if (podScript.deadlineAfterMs !== undefined) {
        later(pod, podScript.deadlineAfterMs, () => {
          const job = jobs.get(jobName);
          job?.object.status.conditions.push({
            type: 'Failed',
            status: 'True',
            reason: 'DeadlineExceeded',
            message: 'Job was active longer than specified deadline',
          });
          terminate(pod, 137, 'Error');
          removePod(pod);
        });
      }
    });
  }

  function addJob(manifest: unknown, podScript: PodScript = script): void {
    const object = structuredClone(manifest) as FakeJob['object'];
    object.metadata.uid = randomUUID();
    object.metadata.creationTimestamp = new Date().toISOString();
    object.status = { conditions: [] };
    jobs.set(object.metadata.name, { object });
    startPod(object.metadata.name, podScript);
  }

  function deleteJob(name: string): void {
    jobs.delete(name);
    for (const pod of [...pods.values()]) {
      if (pod.jobName !== name) {
        continue;
      }
      pod.object.metadata.deletionTimestamp = new Date().toISOString();
      terminate(pod, 143, 'Error');
      // The garbage collector removes the pod a moment later.
      later(pod, 20, () => removePod(pod));
    }
  }

  function answer(
    response: ServerResponse,
    status: number,
    body: unknown,
  ): void {
    response.writeHead(status, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(body));
  }

  function failure(
    response: ServerResponse,
    status: number,
    message: string,
    reason?: string,
  ): void {
    answer(response, status, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message,
      ...(reason === undefined ? {} : { reason }),
      code: status,
    });
  }

  function route(request: RecordedRequest, response: ServerResponse): void {
    const { method, path, query } = request;
    if (method === 'GET' && path === '/version') {
      answer(response, 200, { major: '1', minor: '30', gitVersion: 'v1.30.0' });
      return;
    }
    const jobsMatch =
      /^\/apis\/batch\/v1\/namespaces\/[^/]+\/jobs(?:\/([^/]+))?$/.exec(path);
    if (jobsMatch !== null) {
      const name = jobsMatch[1];
      if (name === undefined && method === 'POST') {
        const jobName = (request.body as FakeJob['object']).metadata.name;
        if (jobs.has(jobName)) {
          failure(
            response,
            409,
            `jobs.batch "${jobName}" already exists`,
            'AlreadyExists',
          );
          return;
        }
        addJob(request.body);
        answer(response, 201, jobs.get(jobName)?.object);
        return;
      }
      const job = name === undefined ? undefined : jobs.get(name);
      if (job === undefined || name === undefined) {
        failure(response, 404, `jobs.batch "${name}" not found`, 'NotFound');
        return;
      }
      if (method === 'GET') {
        answer(response, 200, job.object);
        return;
      }
      if (method === 'DELETE') {
        deleteJob(name);
        answer(response, 200, { kind: 'Status', status: 'Success' });
        return;
      }
    }

    const podsMatch =
      /^\/api\/v1\/namespaces\/[^/]+\/pods(?:\/([^/]+))?(\/log)?$/.exec(path);
    if (podsMatch !== null && method === 'GET') {
      const [, name, log] = podsMatch;
      if (name === undefined) {
        const wanted = (query.labelSelector ?? '').replace(/^job-name=/, '');
        const items = [...pods.values()]
          .filter((pod) => pod.jobName === wanted)
          .map((pod) => pod.object);
        answer(response, 200, { kind: 'PodList', items });
        return;
      }
      const pod = pods.get(name);
      if (pod === undefined) {
        failure(response, 404, `pods "${name}" not found`, 'NotFound');
        return;
      }
      if (log === undefined) {
        answer(response, 200, pod.object);
        return;
      }
      const state = pod.object.status.containerStatuses[0]?.state ?? {};
      if ('waiting' in state) {
        failure(
          response,
          400,
          `container "task" in pod "${name}" is waiting to start`,
          'BadRequest',
        );
        return;
      }
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      for (const data of pod.log) {
        response.write(data);
      }
      if (pod.ended || query.follow !== 'true') {
        response.end();
        return;
      }
      pod.followers.add(response);
      response.once('close', () => pod.followers.delete(response));
      return;
    }
    failure(response, 404, `the fake has no ${method} ${path}`, 'NotFound');
  }

  function handle(message: IncomingMessage, response: ServerResponse): void {
    const parts: Buffer[] = [];
    message.on('data', (part: Buffer) => parts.push(part));
    message.once('end', () => {
      const url = new URL(message.url ?? '/', 'http://fake');
      const text = Buffer.concat(parts).toString();
      const request: RecordedRequest = {
        method: message.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: text === '' ? undefined : JSON.parse(text),
        authorization: message.headers.authorization,
      };
      requests.push(request);
      const fault = faults.find(
        (item) =>
          item.method === request.method &&
          item.path.test(request.path) &&
          (item.times ?? Number.POSITIVE_INFINITY) > 0,
      );
      if (fault !== undefined) {
        if (fault.times !== undefined) {
          fault.times--;
        }
        failure(response, fault.status, fault.message, fault.reason);
        return;
      }
      route(request, response);
    });
  }

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setScript(next) {
      script = next;
    },
    inject(fault) {
      faults.push({ ...fault });
    },
    addJob,
    jobNames: () => [...jobs.keys()],
    podsCreated: () => [...created],
    calls: () => requests.map((item) => `${item.method} ${item.path}`),
    reset() {
      for (const pod of [...pods.values()]) {
        for (const follower of pod.followers) {
          follower.destroy();
        }
        removePod(pod);
      }
      jobs.clear();
      requests.length = 0;
      faults.length = 0;
      script = {};
    },
    async close() {
      for (const pod of [...pods.values()]) {
        for (const follower of pod.followers) {
          follower.destroy();
        }
        removePod(pod);
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
