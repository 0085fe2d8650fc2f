/**
 * The job worker River used before job logic got a process of its own: a
 * worker thread that evaluates the bundle in a JobRealm. Kept here so
 * that the benchmark can measure it beside its successor.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { JobRealm } from '@river/protocol/internal';

const send = (message) => parentPort.postMessage(message);

try {
  const realm = new JobRealm(
    workerData.code,
    workerData.file,
    workerData.seed,
    send,
  );
  send({ type: 'loaded', project: realm.project });
  parentPort.on('message', (message) => {
    if (message.type === 'start-job') {
      const { type: _type, ...start } = message;
      realm.startJob(start);
    } else if (message.type === 'task-result') {
      realm.deliver(message.requestId, message.result, message.now);
    } else {
      send({ type: 'pong' });
    }
  });
} catch (error) {
  send({ type: 'load-failed', message: String(error?.message ?? error) });
}
