import { spawn } from 'node:child_process';
import { serviceBin } from '../services.js';

/** Options of `river sandbox`, each also settable by its variable. */
export interface SandboxCommandOptions {
  pool?: string | undefined;
  /** Comma-separated labels, such as `gcc,docker`. */
  labels?: string | undefined;
  slots?: number | undefined;
}

/**
 * `river sandbox`: runs one sandbox in the foreground with the given pool,
 * labels and slots (the rest from its environment variables, see the
 * sandbox's README), until SIGTERM or SIGINT, which it passes on so that
 * the sandbox drains. Resolves with the sandbox's exit code.
 */
export function sandboxCommand(
  options: SandboxCommandOptions,
): Promise<number> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(options.pool === undefined ? {} : { RIVER_POOL: options.pool }),
    ...(options.labels === undefined ? {} : { RIVER_LABELS: options.labels }),
    ...(options.slots === undefined
      ? {}
      : { RIVER_SLOTS: String(options.slots) }),
  };
  const child = spawn(process.execPath, [serviceBin('sandbox')], {
    env,
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      process.off('SIGINT', forward);
      resolve(code ?? (signal === null ? 1 : 128));
    });
  });
}
