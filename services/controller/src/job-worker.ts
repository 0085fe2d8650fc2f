/**
 * The process that holds one run's job logic, in a {@link JobRealm}. It
 * reads the controller's messages as lines of JSON on stdin, relays the
 * realm's messages back the same way on stdout, and answers pings so
 * that the controller can tell a busy job from one stuck in an endless
 * loop. Its first argument is the path of the realm's module; its first
 * line, a {@link WorkerInit}.
 */
import type { JobRealm, RealmMessage } from '@river/protocol/internal';
import { LineReader } from './line-reader.js';
import {
  type FromWorker,
  MAX_WORKER_MESSAGE_BYTES,
  type ToWorker,
  type WorkerInit,
} from './worker-messages.js';

/** How much of an oversized print or log line is kept. */
const KEPT_TEXT_CHARS = 1_000_000;

const realmModule = process.argv[2];
if (realmModule === undefined) {
  throw new Error('job-worker.js needs the job realm module as argument.');
}
const { JobRealm: Realm } = (await import(realmModule)) as {
  JobRealm: typeof JobRealm;
};

let realm: JobRealm | undefined;
let memoryLimitMb = 0;

function write(message: FromWorker): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/**
 * Sends a message, or what stands for it when it is too large for the
 * controller to take: a cut text, a refused task, a failed job.
 */
function send(message: FromWorker): void {
  const bytes = Buffer.byteLength(JSON.stringify(message));
  if (bytes <= MAX_WORKER_MESSAGE_BYTES) {
    write(explained(message));
    return;
  }
  const limit = `${MAX_WORKER_MESSAGE_BYTES} bytes`;
  switch (message.type) {
    case 'print':
      write({ ...message, text: cut(message.text) });
      return;
    case 'log':
      write({ ...message, message: cut(message.message) });
      return;
    case 'task':
      realm?.refuse(
        message.requestId,
        `Task request of job ${message.job} takes ${bytes} bytes as JSON, ` +
          `more than the ${limit} job logic may send; pass big values as ` +
          'input files instead.',
      );
      return;
    case 'job-succeeded':
      write({
        type: 'job-failed',
        job: message.job,
        message:
          `its return value takes ${bytes} bytes as JSON, more than the ` +
          `${limit} that may pass between jobs; return less, or pass ` +
          'files as task outputs',
      });
      return;
    case 'job-failed':
      write({ ...message, message: cut(message.message) });
      return;
    case 'job-skipped':
      write({ ...message, reason: cut(message.reason) });
      return;
    case 'artifact':
    case 'cancel-task':
      write({
        type: 'job-failed',
        job: message.job,
        message: `it sent the controller ${bytes} bytes at once, more than ${limit}`,
      });
      return;
    default:
      write({
        type: 'load-failed',
        message: `the project's outline takes ${bytes} bytes, more than ${limit}`,
      });
  }
}

function cut(text: string): string {
  return `${text.slice(0, KEPT_TEXT_CHARS)}… (${
    text.length - KEPT_TEXT_CHARS
  } more characters cut)`;
}

// An ArrayBuffer over the process's memory limit fails inside job logic
// with V8's bare message; say which limit it hit.
function explained(message: FromWorker): FromWorker {
  const hint =
    ` (job logic's memory limit is ${memoryLimitMb} MB, ` +
    'RIVER_RUN_MEMORY_MB)';
  if (message.type === 'job-failed' && isAllocationFailure(message.message)) {
    return { ...message, message: message.message + hint };
  }
  if (message.type === 'load-failed' && isAllocationFailure(message.message)) {
    return { ...message, message: message.message + hint };
  }
  return message;
}

function isAllocationFailure(text: string): boolean {
  return /Array buffer allocation failed/.test(text);
}

function load(init: WorkerInit): void {
  memoryLimitMb = init.memoryLimitMb;
  try {
    const loaded = new Realm(init.code, init.file, init.seed, (message) =>
      send(message as RealmMessage),
    );
    realm = loaded;
    send({
      type: 'loaded',
      project: {
        name: loaded.project.name,
        params: loaded.project.params,
        jobs: loaded.project.jobs,
        cache: loaded.project.cache,
      },
    });
  } catch (error) {
    const message = (error as { message?: unknown } | null)?.message;
    send({
      type: 'load-failed',
      message: typeof message === 'string' ? message : String(error),
    });
  }
}

function handle(loaded: JobRealm, message: ToWorker): void {
  if (message.type === 'start-job') {
    const { type: _type, ...start } = message;
    loaded.startJob(start);
  } else if (message.type === 'task-result') {
    loaded.deliver(message.requestId, message.result, message.now);
  } else if (message.type === 'task-refused') {
    loaded.refuse(message.requestId, message.message);
  } else if (message.type === 'sync') {
    // Job logic has no timers, so by the time this message is read it
    // has reacted to every earlier one, and said so.
    send({ type: 'synced', token: message.token });
  } else {
    send({ type: 'pong' });
  }
}

let started = false;

function take(line: string): void {
  const message = JSON.parse(line) as ToWorker | WorkerInit;
  if (!started) {
    started = true;
    load(message as WorkerInit);
  } else if (realm !== undefined) {
    handle(realm, message as ToWorker);
  }
}

// Each message starts a turn of job logic that runs to its next await
// before the next message is read, whatever the pipe brought at once:
// a turn sets job logic's clock and random numbers, so two turns that
// ran into each other would see each other's, and a replay would not.
const queue: string[] = [];
let draining = false;

async function drain(): Promise<void> {
  draining = true;
  for (let line = queue.shift(); line !== undefined; line = queue.shift()) {
    take(line);
    await new Promise((resolve) => setImmediate(resolve));
  }
  draining = false;
}

// The controller is trusted: its lines are as long as the bundle.
const reader = new LineReader(Number.MAX_SAFE_INTEGER, {
  line: (line) => {
    queue.push(line);
    if (!draining) {
      void drain();
    }
  },
  tooLong: () => {},
});
process.stdin.on('data', (chunk: Buffer) => reader.push(chunk));
// The controller is gone: nobody waits for this run's job logic here.
process.stdin.on('end', () => process.exit(0));
