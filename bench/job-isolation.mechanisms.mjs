/**
 * The ways of running one run's job logic that the job isolation
 * benchmark compares, behind one interface: `start(data, limits, events)`
 * returns a run with `post(message)`, `ready()` (the bundle has loaded:
 * start watching), `terminate()` and `pids()` (its processes, if any).
 * Messages are the controller's own (services/controller's
 * worker-messages).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { REALM_BOOTSTRAP } from '../packages/protocol/dist/internal/realm-bootstrap.js';
import { JobWorkerHost } from '../services/controller/dist/job-worker-host.js';

/** How long a bundle's top level may run, as in the job realm. */
const LOAD_TIMEOUT_MS = 5_000;

/** The worker thread River used before: a heap limit and a watchdog. */
function startWorkerRun(data, limits, events) {
  const worker = new Worker(
    new URL('./job-isolation.worker.mjs', import.meta.url),
    {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: limits.memoryLimitMb },
      env: {},
      stdout: true,
      stderr: true,
    },
  );
  let lastPongAt = Date.now();
  let watchdog;
  worker.on('message', (message) => {
    if (message.type === 'pong') {
      lastPongAt = Date.now();
    } else {
      events.onMessage(message);
    }
  });
  worker.on('error', (error) => {
    events.onFailure(
      error.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? `job logic exceeded its memory limit of ${limits.memoryLimitMb} MB`
        : `job logic crashed: ${error.message}`,
    );
  });
  worker.on('exit', (code) => {
    clearInterval(watchdog);
    events.onFailure(`job logic stopped with exit code ${code}`);
  });
  return {
    post: (message) => worker.postMessage(message),
    ready() {
      lastPongAt = Date.now();
      watchdog = setInterval(() => {
        if (Date.now() - lastPongAt > limits.stallLimitMs) {
          clearInterval(watchdog);
          events.onFailure(
            `job logic did not yield for ${limits.stallLimitMs} ms`,
          );
          void worker.terminate();
        } else {
          worker.postMessage({ type: 'ping' });
        }
      }, limits.stallLimitMs / 4);
    },
    async terminate() {
      clearInterval(watchdog);
      await worker.terminate();
    },
    pids: () => [],
  };
}

/** River's job logic process, plain or in bwrap. */
function processRun(sandbox) {
  return (data, limits, events) => {
    const host = new JobWorkerHost(data, { ...limits, sandbox }, events);
    return {
      post: (message) => host.post(message),
      ready: () => host.startWatchdog(),
      terminate: () => host.terminate(),
      pids: () => (host.pid === undefined ? [] : [host.pid]),
    };
  };
}

/**
 * Loads isolated-vm from ISOLATED_VM_DIR (its package directory) or from
 * node_modules; undefined when it is not installed.
 */
export function loadIsolatedVm() {
  const require = createRequire(import.meta.url);
  try {
    return require(process.env.ISOLATED_VM_DIR ?? 'isolated-vm');
  } catch {
    return undefined;
  }
}

/**
 * isolated-vm: the same realm bootstrap in an isolate of its own, in the
 * controller's process. Each turn of job logic runs with a timeout (which
 * covers its microtasks), and the isolate's CPU time is checked after it.
 */
function startIsolatedVmRun(data, limits, events) {
  const ivm = loadIsolatedVm();
  const isolate = new ivm.Isolate({ memoryLimit: limits.memoryLimitMb });
  const context = isolate.createContextSync();
  let failed = false;
  const fail = (reason) => {
    if (!failed) {
      failed = true;
      events.onFailure(reason);
    }
    if (!isolate.isDisposed) {
      isolate.dispose();
    }
  };
  const hostSend = new ivm.Callback((json) => {
    if (typeof json === 'string') {
      queueMicrotask(() => {
        if (!failed) {
          events.onMessage(JSON.parse(json));
        }
      });
    }
  });
  const turn = (source, args, timeout = limits.stallLimitMs) => {
    try {
      const value = context.evalClosureSync(source, args, { timeout });
      if (Number(isolate.cpuTime) / 1e6 > limits.cpuLimitMs) {
        fail(`job logic used up its CPU time of ${limits.cpuLimitMs} ms`);
      }
      return value;
    } catch (error) {
      fail(`job logic stopped: ${error.message}`);
      return undefined;
    }
  };
  queueMicrotask(() => {
    turn(`globalThis.__side = (${REALM_BOOTSTRAP})($0, $1);`, [
      hostSend,
      data.seed,
    ]);
    try {
      isolate
        .compileScriptSync(
          '(function (module, exports, require) {' +
            `${data.code}\n})(__side.module, __side.module.exports, ` +
            '__side.require);',
          { filename: data.file },
        )
        .runSync(context, { timeout: LOAD_TIMEOUT_MS });
    } catch (error) {
      if (!failed) {
        events.onMessage({ type: 'load-failed', message: error.message });
      }
      return;
    }
    const outline = turn('return __side.describe();', [], LOAD_TIMEOUT_MS);
    if (typeof outline === 'string') {
      events.onMessage({ type: 'loaded', project: JSON.parse(outline) });
    }
  });
  return {
    post(message) {
      if (failed) {
        return;
      }
      if (message.type === 'start-job') {
        const { type: _type, ...start } = message;
        turn('__side.startJob($0);', [JSON.stringify(start)]);
      } else if (message.type === 'task-result') {
        const { requestId, result, now } = message;
        turn('__side.deliver($0);', [
          JSON.stringify({ requestId, result, now }),
        ]);
      }
    },
    ready() {},
    async terminate() {
      failed = true;
      if (!isolate.isDisposed) {
        isolate.dispose();
      }
    },
    pids: () => [],
  };
}

/** Every mechanism by name; isolated-vm only when it is installed. */
export const MECHANISMS = {
  'vm in a worker thread': startWorkerRun,
  'vm in a process': processRun('process'),
  'vm in a process in bwrap': processRun('bwrap'),
  'isolated-vm': startIsolatedVmRun,
};
