/**
 * River as the bench runs it: an embedded nats-server on a free port with
 * a temporary store, one controller, scheduler and log-collector, and as
 * many sandboxes as a scenario asks for, each a process of its own; plus
 * a client that submits a project and waits for its run to finish.
 */
import { startLocalStack, startServiceProcess } from '@river/cli';
import { RiverClient } from '@river/sdk/client';
import { stopOnInterrupt } from './cleanup.mjs';
import { cpuSecondsOfAll } from './processes.mjs';

/** A River stack started for one measurement. */
export class BenchStack {
  /** @param {import('@river/cli').LocalStack} local */
  constructor(local, client) {
    this.local = local;
    this.client = client;
    this.stop = stopOnInterrupt(async () => {
      await client.close().catch(() => undefined);
      await local.stop();
    });
  }

  /**
   * Starts River with `sandboxes` sandboxes of `slots` slots each, their
   * tasks under `runner`, and `env` on top for every service.
   */
  static async start({ sandboxes = 2, slots = 1, runner = 'process', env }) {
    // At the services' default log level: the bench measures River as
    // it is deployed, one log line per event that matters included.
    const serviceEnv = {
      RIVER_RUNNER: runner,
      RIVER_SLOTS: String(slots),
      ...env,
    };
    const local = await startLocalStack({
      anonymous: 'admin',
      env: serviceEnv,
      services: ['controller', 'scheduler', 'log-collector'],
    });
    try {
      const started = await Promise.all(
        Array.from({ length: sandboxes }, (_, index) =>
          startServiceProcess(
            'sandbox',
            {
              ...serviceEnv,
              NATS_URL: local.natsUrl,
              RIVER_SANDBOX_ID: `bench-sandbox-${index + 1}`,
            },
            local.logDir,
          ),
        ),
      );
      local.services.push(...started);
      const client = await RiverClient.connect({
        servers: local.natsUrl,
        name: 'river-bench',
      });
      return new BenchStack(local, client);
    } catch (error) {
      await local.stop();
      throw error;
    }
  }

  /** The process ids of the services and the nats-server. */
  pids() {
    const pids = this.local.services.map((service) => service.child.pid);
    const natsPid = this.local.embedded?.pid();
    return natsPid === undefined ? pids : [...pids, natsPid];
  }

  /** The process id of the first service called `name`. */
  pidOf(name) {
    return this.local.services.find((service) => service.name === name)?.child
      .pid;
  }

  /** CPU seconds River's processes (and the tasks they reaped) used. */
  cpuSeconds() {
    return cpuSecondsOfAll(this.pids());
  }

  /**
   * Submits a project and follows its run to the end; resolves with the
   * run's id, its events and the milliseconds from submission to the
   * `run.finished` event.
   */
  async runProject(file, params = {}) {
    const started = performance.now();
    const { runId, events: watched } = await this.client.submitAndWatch(file, {
      params,
      lateEventsWaitMs: 1_000,
    });
    const events = [];
    let finishedMs;
    for await (const event of watched) {
      events.push(event);
      if (event.type === 'run.finished' && finishedMs === undefined) {
        finishedMs = performance.now() - started;
      }
    }
    return { runId, events, wallMs: finishedMs ?? Number.NaN };
  }
}

/**
 * Checks a run's events: it succeeded and exactly `tasks` distinct tasks
 * finished, each once and with exit code 0.
 *
 * @throws Error naming what was wrong.
 */
export function checkRun({ runId, events }, tasks) {
  const finished = events.find((event) => event.type === 'run.finished');
  if (finished?.status !== 'succeeded') {
    throw new Error(
      `Run ${runId} ended ${finished?.status ?? 'without run.finished'}: ${finished?.error ?? ''}`,
    );
  }
  const seen = new Set();
  for (const event of events) {
    if (event.type !== 'task.finished') {
      continue;
    }
    if (seen.has(event.taskId)) {
      throw new Error(`Task ${event.taskId} of ${runId} finished twice.`);
    }
    if (!event.outcome.ok || event.outcome.exitCode !== 0) {
      throw new Error(
        `Task ${event.taskId} of ${runId} failed: ${event.outcome.reason}`,
      );
    }
    seen.add(event.taskId);
  }
  if (seen.size !== tasks) {
    throw new Error(`Run ${runId} finished ${seen.size} tasks, not ${tasks}.`);
  }
}
