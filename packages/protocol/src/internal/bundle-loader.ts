import { createContext, Script } from 'node:vm';
import { BUNDLE_API_VERSION, type BundleProject } from '../bundle.js';

/** How long a bundle's top-level code may run while it is loaded. */
const LOAD_TIMEOUT_MS = 5_000;

/** A bundle could not be loaded or does not export a project. */
export class BundleLoadError extends Error {
  /** The project file the bundle was made from. */
  readonly file: string;

  constructor(file: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'BundleLoadError';
    this.file = file;
  }
}

/** What the bundle's code may reach besides the language itself. */
export interface BundleGlobals {
  /** Receives the job logic's `console` output. */
  print: (level: 'log' | 'warn' | 'error', text: string) => void;
}

function formatArgs(args: unknown[]): string {
  return args
    .map((value) => {
      if (typeof value === 'string') {
        return value;
      }
      try {
        return JSON.stringify(value) ?? String(value);
      } catch {
        return String(value);
      }
    })
    .join(' ');
}

function forbiddenRequire(file: string) {
  return (name: string) => {
    throw new BundleLoadError(
      file,
      `Job logic imported '${name}', which is not available on the ` +
        'controller: job logic has no filesystem, network or processes. ' +
        'Do that work in a task (ctx.sh) instead.',
    );
  };
}

/**
 * Evaluates a bundled project module (esbuild `cjs` output) in a fresh V8
 * context that holds the language's built-ins and nothing of Node: no
 * `require`, `process`, filesystem or network, and no `eval`.
 *
 * @throws BundleLoadError when the code throws, runs too long, or does not
 *   default-export a `project(...)`.
 */
export function loadBundle(
  code: string,
  file: string,
  globals: BundleGlobals,
): BundleProject {
  const console = {
    log: (...args: unknown[]) => globals.print('log', formatArgs(args)),
    info: (...args: unknown[]) => globals.print('log', formatArgs(args)),
    warn: (...args: unknown[]) => globals.print('warn', formatArgs(args)),
    error: (...args: unknown[]) => globals.print('error', formatArgs(args)),
  };
  const context = createContext(
    { console, TextEncoder, TextDecoder, URL, structuredClone },
    { codeGeneration: { strings: false, wasm: false }, name: file },
  );
  const module = { exports: {} as Record<string, unknown> };
  try {
    const wrapper = new Script(
      `(function (module, exports, require) {${code}\n})`,
      { filename: file },
    ).runInContext(context, { timeout: LOAD_TIMEOUT_MS });
    wrapper(module, module.exports, forbiddenRequire(file));
  } catch (error) {
    if (error instanceof BundleLoadError) {
      throw error;
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new BundleLoadError(file, `Loading ${file} failed: ${reason}`, error);
  }
  return checkProject(module.exports.default, file);
}

function checkProject(value: unknown, file: string): BundleProject {
  const candidate = value as Partial<BundleProject> | undefined;
  if (candidate?.kind !== 'river.project') {
    throw new BundleLoadError(
      file,
      `${file} does not export a project: end it with ` +
        '`export default project({ name, jobs })`.',
    );
  }
  if (candidate.apiVersion !== BUNDLE_API_VERSION) {
    throw new BundleLoadError(
      file,
      `${file} was built for River bundle API ${candidate.apiVersion}, ` +
        `but this controller runs version ${BUNDLE_API_VERSION}.`,
    );
  }
  return candidate as BundleProject;
}
