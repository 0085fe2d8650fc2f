import { createContext, Script } from 'node:vm';
import type { HostTaskRequest, HostTaskResult } from '../bundle.js';
import { BUNDLE_API_VERSION } from '../bundle.js';
import type { ParamSpec, ParamValue } from '../params.js';
import type { FileRef } from '../schemas/common.js';
import { REALM_BOOTSTRAP } from './realm-bootstrap.js';

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

/** A project as its bundle describes it. */
export interface ProjectOutline {
  name: string;
  sources: string[];
  params: ParamSpec[];
  jobs: JobOutline[];
  /** The project's cache setting as the bundle gave it, unchecked. */
  cache?: unknown;
}

/** A job as its bundle describes it to the controller. */
export interface JobOutline {
  name: string;
  needs: string[];
  provides: string[];
  consumes: string[];
  /** Where the bundle defines it: `line:column` of the bundled module. */
  definedAt?: string;
  /** Runs even when an upstream job failed or was skipped. */
  always: boolean;
  /** Its failure does not fail the run; dependents still run. */
  allowFailure: boolean;
  /** Wall-clock limit of the job logic, when set. */
  timeoutMs?: number;
  /** The job's cache setting as the bundle gave it, unchecked. */
  cache?: unknown;
}

/** What job logic in a realm tells its host. */
export type RealmMessage =
  | { type: 'print'; level: 'log' | 'warn' | 'error'; text: string }
  | { type: 'task'; job: string; requestId: number; request: HostTaskRequest }
  | { type: 'log'; job: string; message: string }
  | { type: 'job-succeeded'; job: string; valueJson: string }
  | { type: 'job-failed'; job: string; message: string }
  | { type: 'job-skipped'; job: string; reason: string }
  | { type: 'artifact'; job: string; name: string; files: FileRef[] }
  | { type: 'cancel-task'; job: string; requestId: number };

/** What a job is started with. */
export interface JobStart {
  runId: string;
  /** When the job started, as recorded in the run's history. */
  now: number;
  job: string;
  upstream: Record<string, unknown>;
  sources: FileRef[];
  params: Record<string, ParamValue>;
  artifacts: Record<string, FileRef[]>;
}

interface RealmSide {
  module: { exports: Record<string, unknown> };
  require: (name: string) => never;
  /** An error made in the realm, for an `import()` of `specifier`. */
  importRefused(specifier: string): unknown;
  describe(): string;
  startJob(json: string): void;
  deliver(json: string): void;
}

/**
 * A bundled project evaluated in a fresh V8 context holding the language's
 * built-ins and nothing of Node: no `require`, `process`, timers,
 * filesystem, network, or `eval`. Only strings cross between the realm
 * and the host (see `REALM_BOOTSTRAP`), so job logic gets no handle on a
 * host object.
 *
 * `import()` is refused with an error made in the realm where Node runs
 * with `--experimental-vm-modules`, as the controller's job processes
 * do; elsewhere Node's own error, a host object, reaches job logic.
 *
 * This is not a security boundary against hostile code on its own: the
 * controller runs each realm in a process of its own, with memory and
 * CPU limits and Node's permission model.
 */
export class JobRealm {
  /** The project the bundle exports. */
  readonly project: ProjectOutline;
  readonly #side: RealmSide;

  /**
   * Evaluates the bundle. `onMessage` receives what job logic sends,
   * asynchronously and never while realm code is on the stack.
   *
   * @throws BundleLoadError when the code throws, runs too long, or does
   *   not default-export a `project(...)`.
   */
  constructor(
    code: string,
    file: string,
    seed: string,
    onMessage: (message: RealmMessage) => void,
  ) {
    // A null prototype: with `{}` the realm's `globalThis.constructor`
    // would be the host's Object, and its constructor the host's Function.
    const context = createContext(
      Object.create(null) as Record<string, unknown>,
      { codeGeneration: { strings: false, wasm: false }, name: file },
    );
    const hostSend = (json: unknown) => {
      // Nothing may be thrown back into the realm: a host error object
      // would be a way out of it.
      try {
        if (typeof json === 'string') {
          queueMicrotask(() => deliverParsed(json, onMessage));
        }
      } catch {}
    };
    const bootstrap = new Script(REALM_BOOTSTRAP, {
      filename: 'river-realm-bootstrap.js',
    }).runInContext(context);
    this.#side = bootstrap(hostSend, seed) as RealmSide;

    // The call must happen inside runInContext for its timeout to apply,
    // so the realm side is handed over through a global it removes first.
    context.__riverSide = this.#side;
    try {
      new Script(
        '(function (side) { delete globalThis.__riverSide;' +
          `(function (module, exports, require) {${code}\n})` +
          '(side.module, side.module.exports, side.require); })' +
          '(globalThis.__riverSide);',
        {
          filename: file,
          // Node's own refusal would be a host error, whose constructor
          // leads to the host's Function.
          importModuleDynamically: ((specifier: string) => {
            throw this.#side.importRefused(String(specifier));
          }) as never,
        },
      ).runInContext(context, { timeout: LOAD_TIMEOUT_MS });
    } catch (error) {
      throw new BundleLoadError(
        file,
        `Loading ${file} failed: ${messageOf(error)}`,
      );
    }
    this.project = describeProject(this.#side.describe(), file);
  }

  /** Starts a job; its progress arrives through `onMessage`. */
  startJob(start: JobStart): void {
    this.#side.startJob(JSON.stringify(start));
  }

  /**
   * Hands a task's result to the job logic waiting for it; `now` is when
   * the result was recorded, and becomes job logic's clock.
   */
  deliver(requestId: number, result: HostTaskResult, now: number): void {
    this.#side.deliver(JSON.stringify({ requestId, result, now }));
  }

  /** Rejects a task request: the waiting `ctx.sh` throws `message`. */
  refuse(requestId: number, message: string): void {
    this.#side.deliver(JSON.stringify({ requestId, error: message }));
  }
}

function deliverParsed(
  json: string,
  onMessage: (message: RealmMessage) => void,
): void {
  let message: RealmMessage;
  try {
    message = JSON.parse(json) as RealmMessage;
  } catch {
    return;
  }
  onMessage(message);
}

function describeProject(json: string, file: string): ProjectOutline {
  const outline = JSON.parse(json) as
    | ProjectOutline
    | { error: 'no-project' }
    | { error: 'api-version'; apiVersion: string };
  if (!('error' in outline)) {
    return outline;
  }
  if (outline.error === 'no-project') {
    throw new BundleLoadError(
      file,
      `${file} does not export a project: end it with ` +
        '`export default project({ name, jobs })`.',
    );
  }
  throw new BundleLoadError(
    file,
    `${file} was built for River bundle API ${outline.apiVersion}, but ` +
      `this River runs version ${BUNDLE_API_VERSION}.`,
  );
}

// Errors from realm code are realm objects: read their message by shape.
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
