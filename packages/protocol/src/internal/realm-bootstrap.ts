/**
 * Source of the code that runs first inside a job realm. It builds, inside
 * the realm, everything the bundle may touch (console, module, require and
 * the job host), so that no object or function of the host realm is ever
 * reachable from job logic: a host object would lead, through its
 * constructor, to the host's `Function` and from there to `process`.
 *
 * It talks to the host through one function, `hostSend`, which takes a JSON
 * string and returns nothing; the host answers by calling the returned
 * `startJob` and `deliver` with JSON strings.
 *
 * Job logic must give the same answers when a run is replayed from its
 * history, so it cannot read the machine's clock or entropy: `Date.now()`
 * and `new Date()` give the time of the event the job logic is reacting
 * to (its job's start or a task's result, both recorded in the history),
 * and `Math.random()` draws from a generator seeded from the run id and
 * that event. Top-level code sees time 0.
 */
export const REALM_BOOTSTRAP = `(function (hostSend, seed) {
  'use strict';
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const PromiseCtor = Promise;
  const pending = new Map();
  let nextRequestId = 0;
  let project;

  // Each message from the host starts a turn of job logic that runs to
  // its next await before the host's next message is read. The clock and
  // the random generator are set afresh for each turn from what the turn
  // is about (a job's start, a task's result), so a replay that hands the
  // same results over in another order across jobs sees the same values.
  let clock = 0;
  const HostDate = Date;
  function RecordedDate(...args) {
    if (!new.target) return new HostDate(clock).toString();
    return args.length === 0 ? new HostDate(clock) : new HostDate(...args);
  }
  Object.setPrototypeOf(RecordedDate, HostDate);
  RecordedDate.prototype = HostDate.prototype;
  Object.defineProperty(HostDate.prototype, 'constructor', {
    value: RecordedDate, writable: true, configurable: true,
  });
  RecordedDate.now = () => clock;
  globalThis.Date = RecordedDate;

  // sfc32, seeded per turn from the run id and what the turn is about.
  let a = 0, b = 0, c = 0, d = 1;
  const random = () => {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  const startTurn = (now, about) => {
    if (typeof now === 'number') clock = now;
    const key = seed + '/' + about;
    a = 0x9e3779b9; b = 0x243f6a88; c = 0xb7e15162; d = 1;
    for (let i = 0; i < key.length; i++) {
      a = Math.imul(a ^ key.charCodeAt(i), 0x85ebca6b);
      b = Math.imul(b ^ a, 0xc2b2ae35);
      c = Math.imul(c ^ b, 0x27d4eb2f);
    }
    for (let i = 0; i < 12; i++) random();
  };
  Math.random = random;
  startTurn(0, 'load');

  const send = (message) => { hostSend(stringify(message)); };
  const messageOf = (error) => {
    if (error !== null && typeof error === 'object' &&
        typeof error.message === 'string') return error.message;
    if (typeof error === 'string') return error;
    try {
      const text = stringify(error);
      return text === undefined ? String(error) : text;
    } catch (ignored) {
      return String(error);
    }
  };
  const format = (values) => values.map((value) => {
    if (typeof value === 'string') return value;
    try {
      const text = stringify(value);
      return text === undefined ? String(value) : text;
    } catch (error) {
      return String(value);
    }
  }).join(' ');
  const printer = (level) => (...values) =>
    send({ type: 'print', level, text: format(values) });
  globalThis.console = {
    log: printer('log'), info: printer('log'), debug: printer('log'),
    warn: printer('warn'), error: printer('error'),
  };

  // Job logic gets no WebAssembly (it could not compile any) and no
  // shared memory, whose Atomics.wait would block its process for good.
  delete globalThis.WebAssembly;
  delete globalThis.SharedArrayBuffer;

  const module = { exports: {} };
  const require = (name) => {
    throw new Error("Job logic imported '" + name + "', which is not " +
      'available on the controller: job logic has no filesystem, network ' +
      'or processes. Do that work in a task (ctx.sh) instead.');
  };

  function describe() {
    const candidate = module.exports.default;
    if (candidate === null || typeof candidate !== 'object' ||
        candidate.kind !== 'river.project') {
      return stringify({ error: 'no-project' });
    }
    if (candidate.apiVersion !== 1) {
      return stringify({ error: 'api-version', apiVersion:
        String(candidate.apiVersion) });
    }
    project = candidate;
    return stringify({
      name: String(candidate.name),
      sources: Array.from(candidate.sources || [], String),
      params: Array.from(candidate.params || [], (param) => ({
        name: String(param.name),
        type: String(param.type),
        choices: param.choices === undefined ? undefined :
          Array.from(param.choices, String),
        default: param.default,
        description: param.description === undefined ? undefined :
          String(param.description),
      })),
      jobs: Array.from(candidate.jobs, (job) => ({
        name: String(job.name),
        needs: Array.from(job.needs || [], String),
        provides: Array.from(job.provides || [], String),
        consumes: Array.from(job.consumes || [], String),
        definedAt: typeof job.definedAt === 'string' ? job.definedAt :
          undefined,
        always: job.control?.always === true,
        allowFailure: job.control?.allowFailure === true,
        timeoutMs: typeof job.control?.timeoutMs === 'number' ?
          job.control.timeoutMs : undefined,
        cache: plainCopy(job.control?.cache),
      })),
      cache: plainCopy(candidate.cache),
    });
  }

  // The controller checks the setting; only its data crosses over.
  function plainCopy(value) {
    return value === undefined ? undefined : parse(stringify(value));
  }

  function startJob(json) {
    const init = parse(json);
    startTurn(init.now, init.job + '/start');
    const definition = project.jobs.find((job) => job.name === init.job);
    const host = {
      runId: init.runId,
      job: init.job,
      upstream: init.upstream,
      sources: init.sources,
      params: init.params,
      requestTask(request, signal) {
        return new PromiseCtor((resolve, reject) => {
          const requestId = nextRequestId++;
          pending.set(requestId, { resolve, reject });
          send({ type: 'task', job: init.job, requestId, request });
          if (signal !== undefined && signal !== null) {
            signal.onCancel(() =>
              send({ type: 'cancel-task', job: init.job, requestId }));
          }
        });
      },
      log(text) {
        send({ type: 'log', job: init.job, message: String(text) });
      },
      artifacts: init.artifacts,
      provide(name, files) {
        if (!Array.from(definition.provides || []).includes(name)) {
          throw new Error('Job ' + init.job + ' provides artifact ' + name +
            ', which it does not declare in provides');
        }
        send({ type: 'artifact', job: init.job, name: String(name),
          files: parse(stringify(files)) });
      },
      skip(reason) {
        skipped = true;
        send({ type: 'job-skipped', job: init.job, reason: String(reason) });
      },
    };
    let skipped = false;
    PromiseCtor.resolve()
      .then(() => definition.start(host))
      .then((value) => {
        if (skipped) return;
        let valueJson;
        try {
          valueJson = stringify(value === undefined ? null : value);
        } catch (error) {
          send({ type: 'job-failed', job: init.job, message:
            'its return value cannot be passed to other jobs (' +
            messageOf(error) + '); return plain data' });
          return;
        }
        send({ type: 'job-succeeded', job: init.job, valueJson });
      }, (error) => {
        send({ type: 'job-failed', job: init.job, message: messageOf(error) });
      });
  }

  function deliver(json) {
    const answer = parse(json);
    startTurn(answer.now, String(answer.result?.taskId ?? answer.requestId));
    const waiter = pending.get(answer.requestId);
    pending.delete(answer.requestId);
    if (waiter === undefined) return;
    if (answer.error !== undefined) waiter.reject(new Error(answer.error));
    else waiter.resolve(answer.result);
  }

  const importRefused = (specifier) => new Error("Job logic imported '" +
    specifier + "' with import(), which is not available on the " +
    'controller: job logic has no filesystem, network or processes. Do ' +
    'that work in a task (ctx.sh) instead.');

  return { module, require, importRefused, describe, startJob, deliver };
})`;
