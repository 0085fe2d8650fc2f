import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  natsServerBinary,
  type ServiceName,
  type ServiceProcess,
  startServiceProcess,
} from '@river/cli';
import type { RunEvent, StoredLogChunk } from '@river/protocol';
import { RiverClient } from '@river/sdk/client';
import { TEST_SERVICE_ENV } from '../helpers/river.js';
import { LINES_PER_TASK } from './pipeline.js';

/** A process the harness can kill. */
export type FaultKind = ServiceName | 'nats-server';

/** Every kind of process the harness kills. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'controller',
  'scheduler',
  'sandbox',
  'log-collector',
  'nats-server',
];

/** How many of each service the stack runs; the gateway plays no part. */
const REPLICAS: Partial<Record<ServiceName, number>> = {
  controller: 2,
  scheduler: 1,
  sandbox: 2,
  'log-collector': 1,
};

/** Settings that make a takeover quick enough to test many times. */
const FAULT_ENV = {
  ...TEST_SERVICE_ENV,
  LOG_LEVEL: 'info',
  RIVER_RUN_LEASE_MS: '2000',
  RIVER_TASK_LOST_MS: '3000',
  RIVER_DRAIN_GRACE_MS: '2000',
  RIVER_SCHEDULER_ACK_WAIT_MS: '2000',
};

/** How long one run may take, faults included. */
const RUN_DEADLINE_MS = 150_000;

/** A small seeded generator (mulberry32), so a failure can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A nats-server the harness can kill with SIGKILL and start again. */
class NatsProcess {
  readonly port: number;
  readonly storeDir: string;
  #child: ChildProcess | undefined;

  private constructor(port: number, storeDir: string) {
    this.port = port;
    this.storeDir = storeDir;
  }

  static async start(): Promise<NatsProcess> {
    const nats = new NatsProcess(
      await freePort(),
      await mkdtemp(join(tmpdir(), 'river-faults-nats-')),
    );
    await nats.start();
    return nats;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      natsServerBinary(),
      ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`nats-server did not start:\n${output}`)),
        20_000,
      );
      child.stderr?.on('data', (data) => {
        output += data;
        if (output.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code}:\n${output}`));
      });
    });
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async dispose(): Promise<void> {
    await this.kill('SIGTERM');
    await rm(this.storeDir, { recursive: true, force: true });
  }
}

/** What one iteration did and what it found wrong. */
export interface IterationReport {
  kind: FaultKind;
  seed: number;
  runId: string;
  /** When the process was killed, after the submission. */
  killAfterMs: number;
  /** The process killed, for example `sandbox #1`. */
  victim: string;
  durationMs: number;
  tasks: number;
  /** From the kill to `run.resumed`, when a controller took the run over. */
  takeoverMs?: number;
  problems: string[];
}

/**
 * nats-server and River's services as real processes, two controllers
 * and two sandboxes among them, for killing one at a time.
 */
export class FaultStack {
  readonly #nats: NatsProcess;
  readonly #logDir: string;
  readonly #services = new Map<ServiceName, ServiceProcess[]>();

  private constructor(nats: NatsProcess, logDir: string) {
    this.#nats = nats;
    this.#logDir = logDir;
  }

  /** Starts nats-server with a file store, then every service. */
  static async start(): Promise<FaultStack> {
    const nats = await NatsProcess.start();
    const stack = new FaultStack(
      nats,
      await mkdtemp(join(tmpdir(), 'river-faults-logs-')),
    );
    for (const [name, count] of Object.entries(REPLICAS) as [
      ServiceName,
      number,
    ][]) {
      const started: ServiceProcess[] = [];
      for (let index = 0; index < count; index++) {
        started.push(await stack.#startService(name));
      }
      stack.#services.set(name, started);
    }
    return stack;
  }

  get natsUrl(): string {
    return this.#nats.url;
  }

  /** Where the services' logs go. */
  get logDir(): string {
    return this.#logDir;
  }

  #startService(name: ServiceName): Promise<ServiceProcess> {
    return startServiceProcess(
      name,
      { ...FAULT_ENV, NATS_URL: this.#nats.url },
      this.#logDir,
    );
  }

  /**
   * Kills one process of the kind with SIGKILL, waits a moment and starts
   * it again. The controller killed is the one driving `runId`; other
   * replicas are chosen by `random`. Resolves with what it killed.
   */
  async crash(
    kind: FaultKind,
    random: () => number,
    runId: string,
  ): Promise<string> {
    const pause = Math.floor(random() * 1_000);
    if (kind === 'nats-server') {
      await this.#nats.kill('SIGKILL');
      await delay(pause);
      await this.#nats.start();
      return 'nats-server';
    }
    const replicas = this.#services.get(kind) ?? [];
    const index =
      kind === 'controller'
        ? await this.#driverIndex(replicas, runId)
        : Math.floor(random() * replicas.length);
    const victim = replicas[index];
    if (victim === undefined) {
      throw new Error(`No ${kind} to kill`);
    }
    if (victim.child.exitCode === null && victim.child.signalCode === null) {
      const exited = new Promise((resolve) =>
        victim.child.once('exit', resolve),
      );
      victim.child.kill('SIGKILL');
      await exited;
    }
    await delay(pause);
    replicas[index] = await this.#startService(kind);
    return `${kind} #${index}`;
  }

  /** Which of the controllers drives the run, once it has started. */
  async #driverIndex(
    controllers: ServiceProcess[],
    runId: string,
  ): Promise<number> {
    for (;;) {
      const events = await readHistory(this.natsUrl, runId);
      const started = events.find((event) => event.type === 'run.started');
      if (started?.type === 'run.started') {
        return Math.max(
          0,
          controllers.findIndex((controller) =>
            started.controllerId.endsWith(`-${controller.child.pid}`),
          ),
        );
      }
      await delay(100);
    }
  }

  /** Stops every service, then nats-server. */
  async stop(): Promise<void> {
    const all = [...this.#services.values()].flat();
    await Promise.allSettled(all.map((service) => service.stop()));
    await this.#nats.dispose();
    await rm(this.#logDir, { recursive: true, force: true });
  }
}

/**
 * Runs the fault pipeline once, kills a process of `kind` at a moment
 * drawn from `seed`, waits for the run to end, and checks its history and
 * logs.
 */
export async function runFaultIteration(
  stack: FaultStack,
  kind: FaultKind,
  seed: number,
): Promise<IterationReport> {
  const random = seededRandom(seed);
  const killAfterMs = 200 + Math.floor(random() * 4_000);
  const startedAt = Date.now();
  const runId = await withClient(stack.natsUrl, async (client) => {
    const submitted = await client.submit('tests/faults/pipeline.ts');
    return submitted.runId;
  });
  await delay(killAfterMs);
  const killedAt = Date.now();
  const victim = await stack.crash(kind, random, runId);
  const events = await waitForEnd(stack.natsUrl, runId);
  const durationMs = Date.now() - startedAt;
  const problems = checkHistory(events);
  const end = events.at(-1);
  if (
    kind === 'controller' &&
    end?.type === 'run.finished' &&
    end.at > killedAt &&
    !events.some((event) => event.type === 'run.resumed')
  ) {
    problems.push('the run outlived its controller but was never taken over');
  }
  const tasks = finishedAttempts(events);
  if (events.at(-1)?.type === 'run.finished') {
    problems.push(...(await checkLogs(stack.natsUrl, runId, tasks)));
  }
  const resumed = events.find((event) => event.type === 'run.resumed');
  return {
    kind,
    seed,
    runId,
    killAfterMs,
    victim,
    durationMs,
    tasks: tasks.size,
    ...(resumed === undefined ? {} : { takeoverMs: resumed.at - killedAt }),
    problems,
  };
}

async function withClient<T>(
  natsUrl: string,
  use: (client: RiverClient) => Promise<T>,
): Promise<T> {
  const client = await RiverClient.connect({ servers: natsUrl });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** The run's history so far. */
function readHistory(natsUrl: string, runId: string): Promise<RunEvent[]> {
  return withClient(natsUrl, async (client) => {
    const read: RunEvent[] = [];
    for await (const event of client.watch(runId, { follow: false })) {
      read.push(event);
    }
    return read;
  });
}

/** Reads the run's history until it holds `run.finished`. */
async function waitForEnd(natsUrl: string, runId: string): Promise<RunEvent[]> {
  const deadline = Date.now() + RUN_DEADLINE_MS;
  let events: RunEvent[] = [];
  while (Date.now() < deadline) {
    try {
      events = await readHistory(natsUrl, runId);
      if (events.some((event) => event.type === 'run.finished')) {
        return events;
      }
    } catch {
      // The server may be restarting; ask again.
    }
    await delay(1_000);
  }
  return events;
}

/** The attempt each task finished with, by task id. */
function finishedAttempts(events: RunEvent[]): Map<string, number> {
  const attempts = new Map<string, number>();
  for (const event of events) {
    if (event.type === 'task.finished') {
      attempts.set(event.taskId, event.attempt);
    }
  }
  return attempts;
}

/**
 * What the history shows that River promises never happens: a run that
 * did not succeed, a task requested, dispatched or finished twice, or a
 * task that ran again after it had finished.
 */
export function checkHistory(events: RunEvent[]): string[] {
  const problems: string[] = [];
  const end = events.findIndex((event) => event.type === 'run.finished');
  const last = events[end];
  if (last?.type !== 'run.finished') {
    return [
      `the run did not finish (last event: ${events.at(-1)?.type ?? 'none'})`,
    ];
  }
  // A result repeated by a sandbox that lost its ack may arrive after the
  // run ended; it must be shown as ignored, and nothing else may follow.
  for (const late of events.slice(end + 1)) {
    if (late.type !== 'task.result-ignored') {
      problems.push(`${late.type} came after run.finished`);
    }
  }
  if (last.status !== 'succeeded') {
    problems.push(`the run ${last.status}: ${last.error ?? ''}`);
  }
  const counts = new Map<string, number>();
  const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const finished = new Set<string>();
  for (const event of events) {
    switch (event.type) {
      case 'run.finished':
      case 'run.started':
        bump(event.type);
        break;
      case 'job.started':
      case 'job.finished':
        bump(`${event.type} ${event.job}`);
        break;
      case 'task.requested':
        bump(`requested ${event.taskId}`);
        break;
      case 'task.dispatched':
      case 'task.started':
        if (finished.has(event.taskId)) {
          problems.push(`${event.taskId} was ${event.type} after it finished`);
        }
        if (event.type === 'task.dispatched') {
          bump(`dispatched ${event.taskId} attempt ${event.attempt}`);
        }
        break;
      case 'task.finished':
        bump(`finished ${event.taskId}`);
        finished.add(event.taskId);
        if (!event.outcome.ok) {
          problems.push(
            `${event.taskId} failed: ${event.outcome.reason} ${event.outcome.message ?? ''}`,
          );
        }
        break;
      default:
        break;
    }
  }
  for (const [key, count] of counts) {
    if (count > 1) {
      problems.push(`${key} appears ${count} times`);
    }
  }
  const requested = [...counts.keys()].filter((key) =>
    key.startsWith('requested '),
  );
  if (requested.length !== 231) {
    problems.push(`${requested.length} tasks were requested, not 231`);
  }
  for (const key of requested) {
    const taskId = key.slice('requested '.length);
    if (!finished.has(taskId)) {
      problems.push(`${taskId} never finished`);
    }
  }
  return problems;
}

/** Checks that each task's stored stdout is whole and holds no repeat. */
async function checkLogs(
  natsUrl: string,
  runId: string,
  attempts: Map<string, number>,
): Promise<string[]> {
  const chunks = await readLogs(natsUrl, runId);
  const byTask = new Map<string, StoredLogChunk[]>();
  for (const chunk of chunks) {
    if (
      chunk.stream === 'stdout' &&
      attempts.get(chunk.taskId) === chunk.attempt
    ) {
      const list = byTask.get(chunk.taskId) ?? [];
      list.push(chunk);
      byTask.set(chunk.taskId, list);
    }
  }
  const problems: string[] = [];
  for (const taskId of attempts.keys()) {
    const list = byTask.get(taskId) ?? [];
    const seqs = list.map((chunk) => chunk.seq);
    if (new Set(seqs).size !== seqs.length) {
      problems.push(`${taskId}: a log chunk is stored twice`);
    }
    const text = list
      .sort((a, b) => a.seq - b.seq)
      .map((chunk) => Buffer.from(chunk.data).toString('utf8'))
      .join('');
    const name = text.split('\n')[0] ?? '';
    const expected = [
      name,
      ...Array.from(
        { length: LINES_PER_TASK },
        (_, index) => `${name}-line-${index + 1}`,
      ),
      '',
    ].join('\n');
    if (name === '' || text !== expected) {
      problems.push(
        `${taskId}: stored log is not whole (${text.length} bytes: ` +
          `${JSON.stringify(text.slice(0, 80))}…)`,
      );
    }
  }
  return problems;
}

/**
 * Every stored log chunk of the run. The log-collector may still be
 * reconnecting after a nats-server restart, so it is asked for a while.
 */
async function readLogs(
  natsUrl: string,
  runId: string,
): Promise<StoredLogChunk[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await withClient(natsUrl, async (client) => {
        const read: StoredLogChunk[] = [];
        for await (const chunk of client.logs(runId)) {
          read.push(chunk);
        }
        return read;
      });
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await delay(1_000);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
