import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Buckets,
  decode,
  encode,
  type LogChunk,
  type RunEvent,
  SCHEMA_VERSION,
  Streams,
  Subjects,
  type TaskDispatch,
  type TaskResult,
  type TaskSpec,
} from '@river/protocol';
import {
  connectRiver,
  createServiceLogger,
  ensureDurable,
  type RiverConnection,
} from '@river/protocol/internal';
import {
  startNatsServer,
  type TestNatsServer,
} from '../../../../tests/helpers/nats-server.js';
import type { SandboxConfig } from '../config.js';
import { type RunningSandbox, startSandbox } from '../sandbox.js';

/** Results are read by this test-only durable consumer. */
const RESULT_READER = 'sandbox-test-results';

/** A nats-server, a sandbox on it and a client for the test to drive. */
export interface Harness {
  server: TestNatsServer;
  client: RiverConnection;
  sandbox: RunningSandbox;
  pool: string;
  workDir: string;
  /** Publishes a dispatch of `spec` (defaults filled in) for a new task. */
  dispatch(
    spec: Partial<TaskSpec>,
    options?: { runId?: string },
  ): Promise<TaskDispatch>;
  /** Publishes raw bytes on the pool's dispatch subject. */
  publishRaw(bytes: Uint8Array): Promise<void>;
  /** Waits for the result of one task attempt. */
  result(dispatch: TaskDispatch, timeoutMs?: number): Promise<TaskResult>;
  /** Dispatches `spec` and waits for its result. */
  run(spec: Partial<TaskSpec>): Promise<[TaskDispatch, TaskResult]>;
  /** Reads the attempt's log chunks up to the one marked last. */
  logChunks(dispatch: TaskDispatch): Promise<LogChunk[]>;
  /** Reads the run's events of one type. */
  events(runId: string, type: string, count: number): Promise<RunEvent[]>;
  /** Stores bytes in the artifact store under their digest. */
  storeArtifact(data: Uint8Array): Promise<string>;
  /**
   * Starts one more sandbox of the same pool, with the harness's settings
   * but those given; the harness closes it too.
   */
  startAnotherSandbox(
    settings: Partial<SandboxConfig> & { sandboxId: string },
  ): Promise<RunningSandbox>;
  close(): Promise<void>;
}

/** Settings of the harness's sandboxes that a test may choose. */
export type HarnessOptions = Partial<
  Pick<
    SandboxConfig,
    | 'slots'
    | 'taskLostMs'
    | 'drainGraceMs'
    | 'runner'
    | 'allowedRunners'
    | 'kubernetesApi'
    | 'kubernetesNamespace'
    | 'kubernetesTokenFile'
  >
>;

/** Starts a nats-server and a sandbox with a fresh work directory. */
export async function startHarness(
  options: HarnessOptions = {},
): Promise<Harness> {
  const server = await startNatsServer();
  const workDir = await mkdtemp(join(tmpdir(), 'river-sandbox-test-'));
  const pool = `test-${randomUUID().slice(0, 8)}`;
  const { slots, ...settings } = options;
  const base: SandboxConfig = {
    natsUrl: server.url,
    pool,
    slots: slots ?? 2,
    workDir,
    sandboxId: 'sandbox-under-test',
    logLevel: 'info',
    ...settings,
  };
  const log = createServiceLogger(
    'sandbox',
    process.env.TEST_LOG_LEVEL ?? 'silent',
  );
  const sandbox = await startSandbox(base, { log });
  const others: RunningSandbox[] = [];
  const client = await connectRiver({ servers: server.url, name: 'test' });
  await ensureDurable(client.jsm, {
    stream: Streams.taskResults,
    name: RESULT_READER,
    filterSubject: Subjects.taskResult,
    ackWaitMs: 30_000,
  });
  const received = new Map<string, TaskResult>();
  let sequence = 0;

  async function dispatch(
    spec: Partial<TaskSpec>,
    options: { runId?: string } = {},
  ): Promise<TaskDispatch> {
    sequence++;
    const message: TaskDispatch = {
      schema: SCHEMA_VERSION,
      runId: options.runId ?? `run-${randomUUID().slice(0, 8)}`,
      taskId: `job-${sequence}`,
      job: 'job',
      name: 'test task',
      attempt: 1,
      spec: {
        command: 'true',
        env: {},
        cwd: '',
        timeoutMs: 20_000,
        inputs: [],
        outputs: [],
        pool,
        maxAttempts: 1,
        ...spec,
      },
    };
    await client.js.publish(
      Subjects.dispatch(pool),
      encode('taskDispatch', message),
    );
    return message;
  }

  async function result(
    wanted: TaskDispatch,
    timeoutMs = 30_000,
  ): Promise<TaskResult> {
    const key = `${wanted.runId}.${wanted.taskId}.${wanted.attempt}`;
    const consumer = await client.js.consumers.get(
      Streams.taskResults,
      RESULT_READER,
    );
    const deadline = Date.now() + timeoutMs;
    while (!received.has(key)) {
      if (Date.now() > deadline) {
        throw new Error(`No result for ${key} within ${timeoutMs} ms.`);
      }
      const msg = await consumer.next({ expires: 1_000 });
      if (msg !== null) {
        const got = decode('taskResult', msg.subject, msg.data);
        received.set(`${got.runId}.${got.taskId}.${got.attempt}`, got);
        msg.ack();
      }
    }
    return received.get(key) as TaskResult;
  }

  async function readStream<T>(
    stream: string,
    subject: string,
    accept: (data: Uint8Array, subject: string) => T,
    done: (items: T[]) => boolean,
  ): Promise<T[]> {
    const consumer = await client.js.consumers.get(stream, {
      filter_subjects: subject,
    });
    const items: T[] = [];
    const deadline = Date.now() + 10_000;
    while (!done(items) && Date.now() < deadline) {
      const msg = await consumer.next({ expires: 1_000 });
      if (msg !== null) {
        items.push(accept(msg.data, msg.subject));
      }
    }
    return items;
  }

  return {
    server,
    client,
    sandbox,
    pool,
    workDir,
    dispatch,
    async publishRaw(bytes) {
      await client.js.publish(Subjects.dispatch(pool), bytes);
    },
    result,
    async run(spec) {
      const sent = await dispatch(spec);
      return [sent, await result(sent)];
    },
    logChunks(wanted) {
      return readStream(
        Streams.logs,
        Subjects.logChunk(wanted.runId, wanted.taskId),
        (data, subject) => decode('logChunk', subject, data),
        (chunks) => chunks.some((chunk) => chunk.last),
      );
    },
    events(runId, type, count) {
      return readStream(
        Streams.events,
        Subjects.event(runId, type),
        (data, subject) => decode('event', subject, data),
        (events) => events.length >= count,
      );
    },
    async storeArtifact(data) {
      const digest = sha256(data);
      const store = await client.objm.open(Buckets.artifacts);
      await store.putBlob({ name: digest }, data);
      return digest;
    },
    async startAnotherSandbox(settings) {
      const other = await startSandbox({ ...base, ...settings }, { log });
      others.push(other);
      return other;
    },
    async close() {
      await Promise.all([sandbox, ...others].map((each) => each.close()));
      await client.nc.close();
      await server.dispose();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Lower-case hex SHA-256 of `data`. */
export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Pids of processes whose command line contains `marker`. */
export function processesMatching(marker: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    execFile('pgrep', ['-f', marker], (error, stdout) => {
      // pgrep exits with 1 when nothing matches.
      if (error && error.code !== 1) {
        reject(error);
        return;
      }
      resolve(
        stdout
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map(Number),
      );
    });
  });
}
