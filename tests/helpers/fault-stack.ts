import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type LocalStack,
  type ServiceName,
  type ServiceProcess,
  startLocalStack,
  startServiceProcess,
} from '@river/cli';
import { decode, type RunEvent, Streams, Subjects } from '@river/protocol';
import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import { REPO_ROOT, TEST_SERVICE_ENV } from './river.js';

/**
 * River with the services a fault test does not want to kill as the
 * stack's, and the ones it does (sandboxes, schedulers) as processes of
 * its own that it can kill, stop and replace.
 */
export class FaultTestStack {
  readonly stack: LocalStack;
  readonly client: RiverClient;
  /** Settings of every service, on top of the tests' usual ones. */
  readonly env: NodeJS.ProcessEnv;
  /** Every process started here, in order, including ended ones. */
  readonly started: ServiceProcess[] = [];
  readonly #logDir: string;
  readonly #workDir: string;
  #reader: RiverConnection | undefined;

  private constructor(
    stack: LocalStack,
    client: RiverClient,
    env: NodeJS.ProcessEnv,
    logDir: string,
    workDir: string,
  ) {
    this.stack = stack;
    this.client = client;
    this.env = env;
    this.#logDir = logDir;
    this.#workDir = workDir;
  }

  /** Starts nats-server and the services named in `shared`. */
  static async start(
    shared: readonly ServiceName[],
    env: NodeJS.ProcessEnv,
  ): Promise<FaultTestStack> {
    const workDir = await mkdtemp(join(tmpdir(), 'river-fault-work-'));
    const logDir = await mkdtemp(join(tmpdir(), 'river-fault-logs-'));
    const all = { ...TEST_SERVICE_ENV, RIVER_WORK_DIR: workDir, ...env };
    // The test's own connections get the admin's rights on the embedded
    // server, as with startTestStack; each service runs as its role.
    const stack = await startLocalStack({
      env: all,
      services: shared,
      anonymous: 'admin',
      keepLogs: process.env.RIVER_KEEP_TEST_LOGS !== undefined,
    });
    try {
      const client = await RiverClient.connect({ servers: stack.natsUrl });
      return new FaultTestStack(stack, client, all, logDir, workDir);
    } catch (error) {
      // Nothing else would stop the services and the server.
      await stack.stop();
      throw error;
    }
  }

  /** Starts one more process of a service, with the stack's settings. */
  async startService(
    name: ServiceName,
    env: NodeJS.ProcessEnv = {},
  ): Promise<ServiceProcess> {
    const service = await startServiceProcess(
      name,
      { ...this.env, ...env, NATS_URL: this.stack.natsUrl },
      this.#logDir,
    );
    this.started.push(service);
    return service;
  }

  /** The running sandbox whose default id (`<host>-<pid>`) is `id`. */
  sandboxById(id: string): ServiceProcess {
    const found = this.started.find(
      (service) => service.name === 'sandbox' && sandboxIdOf(service) === id,
    );
    if (found === undefined) {
      throw new Error(`No sandbox started here has the id ${id}.`);
    }
    return found;
  }

  /** Every pino line the services started here wrote, parsed. */
  async serviceLogLines(
    name: ServiceName,
  ): Promise<Array<Record<string, unknown>>> {
    const text = await readFile(join(this.#logDir, `${name}.log`), 'utf8');
    return text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Submits a fixture of `tests/fixtures` and returns its run id. */
  async submit(
    fixture: string,
    params: Record<string, string> = {},
  ): Promise<string> {
    const file = join(REPO_ROOT, 'tests', 'fixtures', fixture);
    return (await this.client.submit(file, { params })).runId;
  }

  /**
   * Follows a run to its `run.finished` event, handing each event to
   * `onEvent` (awaited, so it may kill or start processes) on the way.
   */
  async follow(
    runId: string,
    onEvent: (event: RunEvent) => Promise<void> | void = () => undefined,
  ): Promise<RunEvent[]> {
    const events: RunEvent[] = [];
    for await (const event of this.client.watch(runId)) {
      events.push(event);
      await onEvent(event);
    }
    return events;
  }

  /**
   * The run's events stored so far, also those after `run.finished`
   * (which `RiverClient.watch` does not read), such as a late result's.
   */
  async history(runId: string): Promise<RunEvent[]> {
    const { js } = this.#reader ?? (await this.#openReader());
    const consumer = await js.consumers.get(Streams.events, {
      filter_subjects: Subjects.runEvents(runId),
    });
    const events: RunEvent[] = [];
    let pending = (await consumer.info(true)).num_pending;
    while (pending > 0) {
      const msg = await consumer.next({ expires: 2_000 });
      if (msg === null) {
        break;
      }
      events.push(decode('event', msg.subject, msg.data));
      pending = msg.info.pending;
    }
    await consumer.delete().catch(() => undefined);
    return events;
  }

  async #openReader(): Promise<RiverConnection> {
    this.#reader = await connectRiver({
      servers: this.stack.natsUrl,
      name: 'fault-test-reader',
    });
    return this.#reader;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.started.map((service) => service.stop()));
    await this.client.close().catch(() => undefined);
    await this.#reader?.nc.close().catch(() => undefined);
    await this.stack.stop();
    // RIVER_KEEP_TEST_LOGS=1 keeps the services' logs to look into.
    if (process.env.RIVER_KEEP_TEST_LOGS === undefined) {
      await rm(this.#logDir, { recursive: true, force: true });
    } else {
      process.stderr.write(
        `Service logs kept in ${this.#logDir} and ${this.stack.logDir}\n`,
      );
    }
    await rm(this.#workDir, { recursive: true, force: true });
  }
}

/** A sandbox's default id, as its events and results carry it. */
export function sandboxIdOf(service: ServiceProcess): string {
  return `${hostname()}-${service.child.pid}`;
}

/** Sends `signal` to a service process and waits for it to exit. */
export async function signalAndWait(
  service: ServiceProcess,
  signal: NodeJS.Signals,
): Promise<number | null> {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) {
    return child.exitCode;
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  child.kill(signal);
  return exited;
}

/**
 * Ends, with SIGKILL, the task processes whose command line holds
 * `marker`: what a sandbox killed with SIGKILL leaves running.
 */
export function killTaskProcesses(marker: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    execFile('pgrep', ['-f', marker], (error, stdout) => {
      if (error && error.code !== 1) {
        reject(error);
        return;
      }
      const pids = stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map(Number)
        .filter((pid) => pid !== process.pid);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // It ended on its own meanwhile.
        }
      }
      resolve(pids);
    });
  });
}

/** How many times each key occurs. */
export function countBy<T>(
  items: readonly T[],
  key: (item: T) => string,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const name = key(item);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** The task events of one task, as `type:attempt`. */
export function taskTimeline(events: RunEvent[], taskId: string): string[] {
  return events
    .filter((event) => 'taskId' in event && event.taskId === taskId)
    .map(
      (event) => `${event.type}:${'attempt' in event ? event.attempt : '-'}`,
    );
}
