import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  freePort,
  natsServerBinary,
  type ServiceName,
  type ServiceProcess,
  startServiceProcess,
} from '@river/cli';
import {
  decode,
  type RunEvent,
  type RunEventOf,
  Streams,
  Subjects,
} from '@river/protocol';
import type { RiverConnection } from '@river/protocol/internal';

/** How long a node may take to say it is ready. */
const NODE_START_TIMEOUT_MS = 15_000;
/** How long a cluster may take to elect its JetStream meta leader. */
const JETSTREAM_READY_TIMEOUT_MS = 30_000;
/** Pause between two checks of a cluster's JetStream. */
const POLL_MS = 200;

/** One nats-server of a test cluster, on 127.0.0.1. */
export interface TestNatsNode {
  /** Its `server_name`, for example `n2`. */
  name: string;
  /** Its client URL, `nats://127.0.0.1:<port>`. */
  url: string;
  /** Its JetStream store; kept when the node stops. */
  storeDir: string;
  /** Where its own log goes, for when a test fails. */
  logFile: string;
  /** Whether its process is up. */
  running(): boolean;
  /**
   * Stops the node: SIGTERM lets it shut down cleanly, SIGKILL does not.
   * Resolves once the process has exited.
   */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same ports with the same store. */
  start(): Promise<void>;
}

/** nats-servers started for one test file. */
export interface TestNatsCluster {
  nodes: TestNatsNode[];
  /** Every node's client URL, comma-separated, as `NATS_URL` takes it. */
  url: string;
  /** Stops every node and removes their stores. */
  dispose(): Promise<void>;
}

/** Options of {@link startNatsCluster}. */
export interface NatsClusterOptions {
  /** Servers; 1 starts a single server without routes. Default 3. */
  size?: number;
}

/**
 * Starts JetStream-enabled nats-servers on free loopback ports, each with
 * its own store in a new temporary directory; with more than one, they
 * form a cluster with routes to each other. Resolves once JetStream
 * answers on every node.
 *
 * @throws Error when a node does not start in time.
 */
export async function startNatsCluster(
  options: NatsClusterOptions = {},
): Promise<TestNatsCluster> {
  const size = options.size ?? 3;
  const root = await mkdtemp(join(tmpdir(), 'river-cluster-'));
  const ports = await distinctPorts(size * 2);
  const clientPorts = ports.slice(0, size);
  const routePorts = ports.slice(size);
  const routes = routePorts.map((port) => `nats-route://127.0.0.1:${port}`);

  const nodes: ManagedNode[] = [];
  for (let index = 0; index < size; index++) {
    const name = `n${index + 1}`;
    const dir = join(root, name);
    await mkdir(join(dir, 'store'), { recursive: true });
    const config = nodeConfig({
      name,
      port: clientPorts[index] as number,
      storeDir: join(dir, 'store'),
      ...(size > 1 ? { routePort: routePorts[index] as number, routes } : {}),
    });
    await writeFile(join(dir, 'nats.conf'), config);
    nodes.push(new ManagedNode(name, clientPorts[index] as number, dir));
  }

  const cluster: TestNatsCluster = {
    nodes,
    url: nodes.map((node) => node.url).join(','),
    async dispose() {
      await Promise.allSettled(nodes.map((node) => node.stop('SIGTERM')));
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.map((node) => node.start()));
    await Promise.all(nodes.map((node) => jetStreamReady(node.url)));
    if (size > 1) {
      await replicasPlaceable(cluster.url, size);
    }
  } catch (error) {
    await cluster.dispose();
    throw error;
  }
  return cluster;
}

/**
 * Resolves once a stream with `replicas` copies can be made: JetStream
 * answers on every node before its meta group knows all of them, and a
 * stream made in between is refused with "no suitable peers for
 * placement" (seen on a loaded machine).
 */
async function replicasPlaceable(url: string, replicas: number) {
  const deadline = Date.now() + JETSTREAM_READY_TIMEOUT_MS;
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5_000 });
    for (;;) {
      try {
        await jsm.streams.add({
          name: 'PLACEMENT_PROBE',
          subjects: ['placement.probe'],
          storage: StorageType.Memory,
          num_replicas: replicas,
        });
        await jsm.streams.delete('PLACEMENT_PROBE');
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(
            `The cluster at ${url} cannot place ${replicas} replicas: ${error}`,
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    await nc.close();
  }
}

/** Resolves once JetStream answers API requests at `url`. */
export async function jetStreamReady(url: string): Promise<void> {
  const deadline = Date.now() + JETSTREAM_READY_TIMEOUT_MS;
  for (;;) {
    try {
      const nc = await connect({ servers: url, reconnect: false });
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.getAccountInfo();
        return;
      } finally {
        await nc.close();
      }
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`JetStream at ${url} is not ready: ${error}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** River's four services, each its own process, logging to one folder. */
export interface TestServices {
  processes: ServiceProcess[];
  logDir: string;
  /** The running process of a service (the last started). */
  find(name: ServiceName): ServiceProcess;
  /**
   * Starts another process of a service, for example after a kill, with
   * `env` added to the services' own.
   */
  start(name: ServiceName, env?: NodeJS.ProcessEnv): Promise<ServiceProcess>;
  /** Stops every process and removes the log folder. */
  stop(): Promise<void>;
}

/** Starts the named services against `natsUrl` with `env` added. */
export async function startServices(
  natsUrl: string,
  env: NodeJS.ProcessEnv,
  names: readonly ServiceName[] = [
    'log-collector',
    'scheduler',
    'controller',
    'sandbox',
  ],
): Promise<TestServices> {
  const logDir = await mkdtemp(join(tmpdir(), 'river-services-'));
  const processes: ServiceProcess[] = [];
  const start = async (name: ServiceName, extra: NodeJS.ProcessEnv = {}) => {
    const service = await startServiceProcess(
      name,
      { LOG_LEVEL: 'debug', ...env, ...extra, NATS_URL: natsUrl },
      logDir,
    );
    processes.push(service);
    killOnExit(service.child);
    return service;
  };
  const services: TestServices = {
    processes,
    logDir,
    find(name) {
      const found = processes.findLast((service) => service.name === name);
      if (found === undefined) {
        throw new Error(`No ${name} was started`);
      }
      return found;
    },
    start,
    async stop() {
      await Promise.allSettled(processes.map((service) => service.stop()));
      if (process.env.RIVER_KEEP_TEST_LOGS === undefined) {
        await rm(logDir, { recursive: true, force: true });
      }
    },
  };
  try {
    // One after the other: the first creates the streams, so a cluster's
    // replica setting is applied by whichever service comes first.
    for (const name of names) {
      await start(name);
    }
  } catch (error) {
    await services.stop();
    throw error;
  }
  return services;
}

/**
 * Every event of a run stored so far, in order, read with a short-lived
 * consumer. Throws while the server is away; callers that poll retry.
 */
export async function storedRunEvents(
  connection: RiverConnection,
  runId: string,
): Promise<RunEvent[]> {
  const info = await connection.jsm.streams.info(Streams.events, {
    subjects_filter: Subjects.runEvents(runId),
  });
  const count = Object.values(info.state.subjects ?? {}).reduce(
    (sum, n) => sum + n,
    0,
  );
  const events: RunEvent[] = [];
  if (count === 0) {
    return events;
  }
  const consumer = await connection.js.consumers.get(Streams.events, {
    filter_subjects: Subjects.runEvents(runId),
  });
  try {
    while (events.length < count) {
      const batch = await consumer.fetch({
        max_messages: Math.min(count - events.length, 256),
        expires: 5_000,
      });
      let received = 0;
      for await (const msg of batch) {
        received++;
        events.push(decode('event', msg.subject, msg.data));
      }
      if (received === 0) {
        throw new Error(`Read ${events.length} of ${count} events of ${runId}`);
      }
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
  return events;
}

/**
 * Waits until the run has its `run.finished` event and returns its whole
 * history. Keeps asking while the servers are away.
 *
 * @throws Error when the run has not finished within `timeoutMs`.
 */
export async function runHistory(
  connection: RiverConnection,
  runId: string,
  timeoutMs: number,
): Promise<RunEvent[]> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const info = await connection.jsm.streams.info(Streams.events, {
        subjects_filter: Subjects.event(runId, 'run.finished'),
      });
      if (Object.keys(info.state.subjects ?? {}).length > 0) {
        return await storedRunEvents(connection, runId);
      }
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const stored = await storedRunEvents(connection, runId).catch(() => []);
  throw new Error(
    `Run ${runId} did not finish in ${timeoutMs} ms (last error: ${last}); ` +
      `its history so far: ${summarize(stored)}`,
  );
}

/** Counts of a history's event types and its last few events, for a failure. */
function summarize(events: readonly RunEvent[]): string {
  const counts = new Map<string, number>();
  for (const event of events) {
    counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
  }
  const last = events
    .slice(-5)
    .map((event) => JSON.stringify(event).slice(0, 300));
  return `${JSON.stringify(Object.fromEntries(counts))}; last: ${last.join(' | ')}`;
}

/** The events of one type out of a history. */
export function eventsOf<K extends RunEvent['type']>(
  events: readonly RunEvent[],
  type: K,
): Array<RunEventOf<K>> {
  return events.filter((event) => event.type === type) as Array<RunEventOf<K>>;
}

/**
 * How often each task the run requested finished: 1 for every task id
 * when all is well, 0 for a task that never finished.
 */
export function finishCounts(events: readonly RunEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of eventsOf(events, 'task.requested')) {
    counts.set(event.taskId, 0);
  }
  for (const event of eventsOf(events, 'task.finished')) {
    counts.set(event.taskId, (counts.get(event.taskId) ?? 0) + 1);
  }
  return counts;
}

/**
 * A seeded pseudo-random choice, so that a failing run can be repeated
 * with the seed it printed.
 */
export function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    // xorshift32: plenty for picking a node or a moment.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

interface NodeConfig {
  name: string;
  port: number;
  storeDir: string;
  routePort?: number;
  routes?: string[];
}

function nodeConfig(config: NodeConfig): string {
  const lines = [
    `server_name: ${config.name}`,
    `listen: 127.0.0.1:${config.port}`,
    'max_payload: 1MB',
    'jetstream {',
    `  store_dir: ${JSON.stringify(config.storeDir)}`,
    '}',
  ];
  if (config.routePort !== undefined) {
    lines.push(
      'cluster {',
      '  name: river-test',
      `  listen: 127.0.0.1:${config.routePort}`,
      `  routes: [${(config.routes ?? []).map((r) => JSON.stringify(r)).join(', ')}]`,
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Children still running, killed when the test process exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) {
    child.kill('SIGKILL');
  }
});

/**
 * Kills `child` if it still runs when the test process exits, so that a
 * test file that times out leaves no server or service behind.
 */
function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** `count` free loopback ports, no two alike. */
async function distinctPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    ports.add(await freePort());
  }
  return [...ports];
}

class ManagedNode implements TestNatsNode {
  readonly name: string;
  readonly url: string;
  readonly storeDir: string;
  readonly logFile: string;
  readonly #config: string;
  #child: ChildProcess | undefined;

  constructor(name: string, port: number, dir: string) {
    this.name = name;
    this.url = `nats://127.0.0.1:${port}`;
    this.storeDir = join(dir, 'store');
    this.logFile = join(dir, 'nats.log');
    this.#config = join(dir, 'nats.conf');
  }

  running(): boolean {
    const child = this.#child;
    return (
      child !== undefined &&
      child.exitCode === null &&
      child.signalCode === null
    );
  }

  async start(): Promise<void> {
    if (this.running()) {
      return;
    }
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(natsServerBinary(), ['-c', this.#config], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#child = child;
    killOnExit(child);
    child.stderr?.pipe(log);
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => fail(`was not ready after ${NODE_START_TIMEOUT_MS} ms`),
        NODE_START_TIMEOUT_MS,
      );
      const onData = (data: Buffer) => {
        output += data.toString();
        if (output.includes('Server is ready')) {
          done();
          resolve();
        }
      };
      const onExit = (code: number | null) => fail(`exited with ${code}`);
      const done = () => {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
      };
      function fail(reason: string) {
        done();
        reject(new Error(`nats-server ${reason}:\n${output.slice(-2_000)}`));
      }
      child.stderr?.on('data', onData);
      child.once('exit', onExit);
    });
  }

  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.running()) {
      return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
