/**
 * The worker thread that holds one run's job logic, in a {@link JobRealm}.
 * It relays the realm's messages to the controller's main thread and the
 * controller's answers back, and answers pings so that the controller can
 * tell a busy job from one stuck in an endless loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { JobRealm } from '@river/protocol/internal';
import type { FromWorker, ToWorker, WorkerData } from './worker-messages.js';

const port = parentPort;
if (port === null) {
  throw new Error('job-worker.js must run as a worker thread.');
}
const data = workerData as WorkerData;

function send(message: FromWorker): void {
  port?.postMessage(message);
}

try {
  const realm = new JobRealm(data.code, data.file, data.seed, send);
  send({
    type: 'loaded',
    project: {
      name: realm.project.name,
      params: realm.project.params,
      jobs: realm.project.jobs,
    },
  });
  port.on('message', (message: ToWorker) => {
    if (message.type === 'start-job') {
      const { type: _type, ...start } = message;
      realm.startJob(start);
    } else if (message.type === 'task-result') {
      realm.deliver(message.requestId, message.result, message.now);
    } else if (message.type === 'task-refused') {
      realm.refuse(message.requestId, message.message);
    } else if (message.type === 'sync') {
      // Job logic has no timers, so by the time this message is read it
      // has reacted to every earlier one, and said so.
      send({ type: 'synced', token: message.token });
    } else {
      send({ type: 'pong' });
    }
  });
} catch (error) {
  const message = (error as { message?: unknown } | null)?.message;
  send({
    type: 'load-failed',
    message: typeof message === 'string' ? message : String(error),
  });
}
