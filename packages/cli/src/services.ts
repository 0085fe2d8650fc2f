import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedRoleEnv } from './embedded-nats.js';
import { serviceRole } from './nats-rights/roles.js';

/** How long a service may take to report that it started. */
const SERVICE_START_TIMEOUT_MS = 20_000;
/** How long a service may drain after SIGTERM before it is hurried. */
const SERVICE_DRAIN_MS = 3_000;
/** How long a hurried service may take before it is killed. */
const SERVICE_HURRIED_MS = 7_000;

/** River's services, by name, with the package holding each bin. */
export const SERVICE_PACKAGES = {
  controller: '@river/controller',
  scheduler: '@river/scheduler',
  sandbox: '@river/sandbox',
  'log-collector': '@river/log-collector',
  gateway: '@river/gateway',
} as const;

/** One of River's services. */
export type ServiceName = keyof typeof SERVICE_PACKAGES;

/** The services that run tasks; the gateway only serves the web UI. */
export const CORE_SERVICES: readonly ServiceName[] = [
  'controller',
  'scheduler',
  'sandbox',
  'log-collector',
];

/** A service running as its own process. */
export interface ServiceProcess {
  name: ServiceName;
  child: ChildProcess;
  /** Where its pino output goes. */
  logFile: string;
  /**
   * SIGTERM; a second SIGTERM if it is still draining after `drainMs`
   * (3 s by default: a sandbox then stops its running tasks and hands them
   * back); SIGKILL as a last resort, 7 s after that.
   */
  stop(drainMs?: number): Promise<void>;
}

/** `with code 1`, `on SIGKILL`: how a process ended, for a message. */
export function howItEnded(
  code: number | null,
  signal: NodeJS.Signals | null,
): string {
  return signal === null ? `with code ${code}` : `on ${signal}`;
}

/** The path of a service's bin script. */
export function serviceBin(name: ServiceName): string {
  const entry = fileURLToPath(import.meta.resolve(SERVICE_PACKAGES[name]));
  return join(dirname(entry), 'bin.js');
}

function waitForStart(
  name: string,
  child: ChildProcess,
  log: WriteStream,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`${name} did not start:\n${output.slice(-2_000)}`));
    }, SERVICE_START_TIMEOUT_MS);
    const onData = (data: Buffer) => {
      log.write(data);
      output += data.toString();
      // Every service logs one line ending in "started" once it is ready.
      if (/"msg":"[^"]* started"/.test(output)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.pipe(log);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.pipe(log);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${name} exited ${howItEnded(code, signal)} while starting:\n` +
            output.slice(-2_000),
        ),
      );
    });
  });
}

/**
 * The NATS user a service connects as: the one `env` names, else its
 * role's user when `NATS_URL` is an embedded server with users.
 */
function credentialsFor(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  if (env.RIVER_NATS_USER !== undefined || env.NATS_URL === undefined) {
    return {};
  }
  const role = serviceRole(name, env.RIVER_POOL?.trim() || 'default');
  return embeddedRoleEnv(env.NATS_URL, role) ?? {};
}

/** Settings that hold the secrets' private key, which only sandboxes use. */
const PRIVATE_KEY_SETTINGS = [
  'RIVER_SECRETS_PRIVATE_KEY',
  'RIVER_SECRETS_PRIVATE_KEY_FILE',
];

/**
 * The environment a service is started with, less the secrets' private
 * key unless it is a sandbox: the key opens every secret, so no other
 * service holds it, even when one shell starts them all.
 */
function withoutForeignKeys(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  if (name === 'sandbox') {
    return env;
  }
  const kept = { ...env };
  for (const setting of PRIVATE_KEY_SETTINGS) {
    delete kept[setting];
  }
  return kept;
}

/**
 * Starts a service's bin as a child process and waits for its start-up
 * line. Its output goes to `<logDir>/<name>.log`. Against an embedded
 * nats-server with users, a service whose `env` names no NATS user runs
 * as its role's user.
 */
export async function startServiceProcess(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
  logDir: string,
): Promise<ServiceProcess> {
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const merged = withoutForeignKeys(name, { ...process.env, ...env });
  const child = spawn(process.execPath, [serviceBin(name)], {
    env: { ...merged, ...credentialsFor(name, merged) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForStart(name, child, log);
  return {
    name,
    child,
    logFile,
    async stop(drainMs = SERVICE_DRAIN_MS) {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timers = [
        setTimeout(() => child.kill('SIGTERM'), drainMs),
        setTimeout(() => child.kill('SIGKILL'), drainMs + SERVICE_HURRIED_MS),
      ];
      await exited;
      timers.forEach(clearTimeout);
      log.end();
    },
  };
}
