import { hostname } from 'node:os';
import Type from 'typebox';
import { Compile } from 'typebox/compile';

/** The controller's settings. */
export const ControllerConfig = Type.Object({
  /** NATS server URL(s), comma-separated. */
  natsUrl: Type.String({ minLength: 1 }),
  /** This replica's name in events and logs. */
  controllerId: Type.String({ minLength: 1 }),
  /** Heap limit of one run's job logic, in MiB. */
  runMemoryLimitMb: Type.Integer({ minimum: 16 }),
  /** How long job logic may hold its thread without yielding. */
  jobStallLimitMs: Type.Integer({ minimum: 100 }),
  logLevel: Type.String(),
});

/** The controller's settings. */
export type ControllerConfig = Type.Static<typeof ControllerConfig>;

const validator = Compile(ControllerConfig);

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number) {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value)) {
    throw new Error(`${name} must be an integer, but it is '${raw}'.`);
  }
  return value;
}

/**
 * Reads the controller's settings from environment variables.
 *
 * @throws Error naming the variable that is missing or invalid.
 */
export function loadControllerConfig(
  env: NodeJS.ProcessEnv = process.env,
): ControllerConfig {
  if (!env.NATS_URL) {
    throw new Error(
      'NATS_URL must name the NATS server, for example nats://127.0.0.1:4222.',
    );
  }
  const config = {
    natsUrl: env.NATS_URL,
    controllerId:
      env.RIVER_CONTROLLER_ID || `controller-${hostname()}-${process.pid}`,
    runMemoryLimitMb: integer(env, 'RIVER_RUN_MEMORY_MB', 256),
    jobStallLimitMs: integer(env, 'RIVER_JOB_STALL_MS', 30_000),
    logLevel: env.LOG_LEVEL || 'info',
  };
  if (!validator.Check(config)) {
    const [first] = validator.Errors(config);
    throw new Error(
      `Invalid controller setting ${first?.instancePath}: ${first?.message}.`,
    );
  }
  return config;
}
