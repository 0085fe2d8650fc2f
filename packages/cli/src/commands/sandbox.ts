import { pathToFileURL } from 'node:url';
import { isSubjectToken } from '@river/protocol';
import { UsageError } from '../options.js';
import { serviceBin } from '../services.js';

/** Options of `river sandbox`, each also settable by its variable. */
export interface SandboxCommandOptions {
  pool?: string | undefined;
  /** Comma-separated labels, such as `gcc,docker`. */
  labels?: string | undefined;
  slots?: number | undefined;
}

/** The longest label a sandbox may offer, as tasks may ask for. */
const MAX_LABEL_LENGTH = 64;

/**
 * `river sandbox`: runs one sandbox in this process with the given pool,
 * labels and slots (the rest from its environment variables, see the
 * sandbox's README) until SIGTERM or SIGINT, which drain it. The sandbox
 * ends the process itself, so the returned promise never settles.
 *
 * @throws UsageError naming an option whose value is not a pool name or a
 *   list of labels.
 */
export async function sandboxCommand(
  options: SandboxCommandOptions,
): Promise<number> {
  const { pool, labels, slots } = options;
  if (pool !== undefined && !isSubjectToken(pool)) {
    throw new UsageError(
      `--pool takes a pool name of letters, digits, '-' and '_', not '${pool}'.`,
    );
  }
  if (labels !== undefined) {
    const bad = labels
      .split(',')
      .map((label) => label.trim())
      .find(
        (label) => !isSubjectToken(label) || label.length > MAX_LABEL_LENGTH,
      );
    if (bad !== undefined) {
      throw new UsageError(
        `--labels takes comma-separated labels of letters, digits, '-' and ` +
          `'_', at most ${MAX_LABEL_LENGTH} characters each (gcc,docker); ` +
          `'${bad}' is not one.`,
      );
    }
    process.env.RIVER_LABELS = labels;
  }
  if (pool !== undefined) {
    process.env.RIVER_POOL = pool;
  }
  if (slots !== undefined) {
    process.env.RIVER_SLOTS = String(slots);
  }
  // In this process, not a child: nothing is left running when the
  // command is killed.
  await import(pathToFileURL(serviceBin('sandbox')).href);
  return new Promise<number>(() => undefined);
}
