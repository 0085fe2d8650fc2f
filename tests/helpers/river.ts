import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  embeddedRoleEnv,
  type LocalStack,
  type ServiceName,
  startLocalStack,
} from '@river/cli';

/** The repository's root directory. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const CLI = fileURLToPath(
  new URL('../../packages/cli/dist/main.js', import.meta.url),
);

/** What a `river` command printed and how it exited. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The output limit of the test stack's sandboxes: 10 MB. */
export const TEST_MAX_OUTPUT_BYTES = 10_000_000;

/**
 * The services' environment in tests. A short stall limit keeps the
 * endless-loop test quick, yet leaves a loaded machine time to answer the
 * controller's pings. Tasks run under the sandbox's default runner, but
 * the few fixtures that keep state outside their workspace may ask for
 * the process runner.
 */
export const TEST_SERVICE_ENV = {
  LOG_LEVEL: 'debug',
  RIVER_JOB_STALL_MS: '5000',
  RIVER_MAX_OUTPUT_BYTES: String(TEST_MAX_OUTPUT_BYTES),
  RIVER_ALLOWED_RUNNERS: 'bwrap,docker,process',
} as const;

/**
 * Starts nats-server (embedded, free port) and the four services, with
 * {@link TEST_SERVICE_ENV} and `env` on top. The server runs under
 * River's per-role users and each service as its own role; a connection
 * without credentials (the test's own) gets the admin's rights, so that
 * tests can look at everything, while {@link river} runs as `sdk`.
 */
export async function startTestStack(
  options: {
    storeDir?: string;
    env?: NodeJS.ProcessEnv;
    services?: readonly ServiceName[];
  } = {},
): Promise<LocalStack> {
  return startLocalStack({
    ...options,
    anonymous: 'admin',
    env: { ...TEST_SERVICE_ENV, ...options.env },
  });
}

/**
 * The environment of a `river` command: NATS_URL, and the `sdk` user's
 * credentials when River started the server there with users.
 */
function cliEnv(natsUrl: string | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (natsUrl === undefined) {
    delete env.NATS_URL;
    return env;
  }
  return { ...env, NATS_URL: natsUrl, ...embeddedRoleEnv(natsUrl, 'sdk') };
}

/**
 * Runs the CLI with its stdout piped into `head -n 1`, which closes the
 * pipe after the first line, as `river … | head -n 1` in a shell with
 * `pipefail` does; resolves with the CLI's exit status and output.
 */
export function riverIntoHead(args: readonly string[], natsUrl: string) {
  const cli = `${REPO_ROOT}/packages/cli/dist/main.js`;
  const quoted = args.map((arg) => `'${arg}'`).join(' ');
  return spawnSync(
    'bash',
    [
      '-c',
      `set -o pipefail; "${process.execPath}" "${cli}" ${quoted} | head -n 1`,
    ],
    { cwd: REPO_ROOT, env: cliEnv(natsUrl), encoding: 'utf8' },
  );
}

/**
 * Runs the real `river` CLI against a stack and collects its output; on
 * a server River started with users, it connects as `sdk` unless
 * `extraEnv` names other credentials.
 */
export function river(
  args: string[],
  natsUrl: string | undefined,
  timeoutMs = 120_000,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...cliEnv(natsUrl), ...extraEnv };
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data) => {
      stdout += data;
    });
    child.stderr.on('data', (data) => {
      stderr += data;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`river ${args.join(' ')} timed out:\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A `river` command running in the background. */
export interface BackgroundRiver {
  /** The run id from its first line, once printed. */
  runId: Promise<string>;
  /** Its exit code, once it has exited. */
  exited: Promise<number | null>;
  /** Its process id. */
  pid: number;
  /** Everything it printed on stdout so far. */
  output(): string;
  /** Everything it printed on stderr so far. */
  errors(): string;
  /** Ends it, for a test that stops the River it follows under it. */
  kill(): void;
  /** Sends it SIGINT, as Ctrl-C on a terminal does. */
  interrupt(): void;
}

/** Starts the real `river` CLI and lets the test go on while it runs. */
export function spawnRiver(
  args: string[],
  natsUrl: string | undefined,
): BackgroundRiver {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: cliEnv(natsUrl),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (data) => {
    stderr += data;
  });
  const runId = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (data) => {
      stdout += data;
      const match = /run (run-[a-z0-9-]+) submitted/.exec(stdout);
      if (match?.[1] !== undefined) {
        resolve(match[1]);
      }
    });
    child.on('exit', () => reject(new Error(`No run id in:\n${stdout}`)));
  });
  // A test that never asks for the run id must not see its rejection.
  runId.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', resolve),
  );
  return {
    runId,
    exited,
    pid: child.pid as number,
    output: () => stdout,
    errors: () => stderr,
    kill: () => {
      child.kill('SIGKILL');
    },
    interrupt: () => {
      child.kill('SIGINT');
    },
  };
}

/** Whether every service process of the stack is still alive. */
export function servicesAlive(stack: LocalStack): boolean {
  return stack.services.every(
    (service) =>
      service.child.exitCode === null && service.child.signalCode === null,
  );
}

/** The run id `river run` printed in its first line. */
export function runIdOf(output: string): string {
  const match = /run (run-[a-z0-9-]+) submitted/.exec(output);
  if (match?.[1] === undefined) {
    throw new Error(`No run id in output:\n${output}`);
  }
  return match[1];
}
