/**
 * The worker thread that holds one run's job logic. The bundle is evaluated
 * in a V8 context without Node's APIs (see `loadBundle`); the worker itself
 * only relays task requests and results to the controller's main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type {
  BundleProject,
  HostJobRuntime,
  HostTaskResult,
} from '@river/protocol';
import { loadBundle } from '@river/protocol/internal';
import type { FromWorker, ToWorker, WorkerData } from './worker-messages.js';

const port = parentPort;
if (port === null) {
  throw new Error('job-worker.js must run as a worker thread.');
}
const data = workerData as WorkerData;
const pendingTasks = new Map<number, (result: HostTaskResult) => void>();
let nextRequestId = 0;

function send(message: FromWorker): void {
  port?.postMessage(message);
}

// Errors thrown by job logic come from the bundle's own realm, where
// `instanceof Error` is false, so read the message by shape.
function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

function startJob(
  project: BundleProject,
  message: Extract<ToWorker, { type: 'start-job' }>,
): void {
  const definition = project.jobs.find((job) => job.name === message.job);
  if (definition === undefined) {
    send({ type: 'job-failed', job: message.job, message: 'job not found' });
    return;
  }
  const host: HostJobRuntime = {
    runId: message.runId,
    job: message.job,
    upstream: message.upstream,
    sources: message.sources,
    requestTask(request) {
      const requestId = nextRequestId++;
      return new Promise<HostTaskResult>((resolve) => {
        pendingTasks.set(requestId, resolve);
        send({ type: 'task', job: message.job, requestId, request });
      });
    },
    log(text: string) {
      send({ type: 'log', job: message.job, message: text });
    },
  };
  definition.start(host).then(
    (value) => {
      try {
        send({ type: 'job-succeeded', job: message.job, value });
      } catch (error) {
        send({
          type: 'job-failed',
          job: message.job,
          message:
            'its return value cannot be passed to other jobs ' +
            `(${errorMessage(error)}); return plain data`,
        });
      }
    },
    (error: unknown) => {
      send({
        type: 'job-failed',
        job: message.job,
        message: errorMessage(error),
      });
    },
  );
}

let project: BundleProject;
try {
  project = loadBundle(data.code, data.file, {
    print: (_level, text) => send({ type: 'log', job: '', message: text }),
  });
  send({
    type: 'loaded',
    project: {
      name: String(project.name),
      jobs: project.jobs.map((job) => ({
        name: String(job.name),
        needs: [...job.needs].map(String),
      })),
    },
  });
  port.on('message', (message: ToWorker) => {
    if (message.type === 'start-job') {
      startJob(project, message);
    } else {
      pendingTasks.get(message.requestId)?.(message.result);
      pendingTasks.delete(message.requestId);
    }
  });
} catch (error) {
  send({ type: 'load-failed', message: errorMessage(error) });
}
