import { createServiceLogger, type Logger } from './logger.js';
import { startTracing, type TracingShutdown } from './tracing.js';

/** What every service's settings hold, whatever else they have. */
interface ServiceSettings {
  /** The logger's level. */
  logLevel: string;
}

/** A running service, as its `start` function returns it. */
interface ClosableService {
  /** Drains and stops each of the service's resources. */
  close(): Promise<void>;
}

/** A service for {@link runService} to run as its process's main program. */
export interface ServiceDefinition<
  Config extends ServiceSettings,
  Service extends ClosableService,
> {
  /** The service's name in its log lines, for example `log-collector`. */
  name: string;
  /** Reads the service's settings; throws when one is missing or invalid. */
  loadConfig: () => Config;
  /**
   * Starts the service. Once it is ready it must log one line whose
   * message ends in " started": the CLI waits for that line.
   */
  start: (config: Config, options: { log: Logger }) => Promise<Service>;
  /**
   * What is logged, as a warning, when a second SIGINT or SIGTERM comes
   * while the service is closing; `Stopping at once` unless given.
   */
  stopAtOnceMessage?: string;
}

/**
 * Runs a service as its process's main program. It loads the settings and
 * starts the service with a logger at their level; a failure on the way
 * is logged and exits with 1. SIGINT or SIGTERM then closes the service
 * and exits with 0; a second signal during the close exits at once with 1.
 *
 * @example
 * ```ts
 * await runService({
 *   name: 'scheduler',
 *   loadConfig: loadSchedulerConfig,
 *   start: startScheduler,
 * });
 * ```
 */
export async function runService<
  Config extends ServiceSettings,
  Service extends ClosableService,
>(definition: ServiceDefinition<Config, Service>): Promise<void> {
  const { log, service, flushTraces } = await startOrExit(definition);

  let stopping = false;
  async function stop(signal: NodeJS.Signals): Promise<void> {
    if (stopping) {
      log.warn({ signal }, definition.stopAtOnceMessage ?? 'Stopping at once');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'Shutting down');

    try {
      await service.close();
      await flushTraces();
    } catch (error) {
      log.error({ err: error }, 'Shutdown failed');
      process.exit(1);
    }
    process.exit(0);
  }

  process.on('SIGINT', (signal) => void stop(signal));
  process.on('SIGTERM', (signal) => void stop(signal));
}

async function startOrExit<
  Config extends ServiceSettings,
  Service extends ClosableService,
>(
  definition: ServiceDefinition<Config, Service>,
): Promise<{ log: Logger; service: Service; flushTraces: TracingShutdown }> {
  let log: Logger | undefined;
  try {
    const config = definition.loadConfig();
    log = createServiceLogger(definition.name, config.logLevel);
    const flushTraces = await startTracing(`river-${definition.name}`);
    return {
      log,
      service: await definition.start(config, { log }),
      flushTraces,
    };
  } catch (error) {
    // LOG_LEVEL itself may be the bad setting, so this logger ignores it.
    (log ?? createServiceLogger(definition.name, 'info')).fatal(
      { err: error },
      `${sentenceCase(definition.name)} failed to start`,
    );
    process.exit(1);
  }
}

/** `log-collector` → `Log-collector`, to open a log message. */
function sentenceCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
