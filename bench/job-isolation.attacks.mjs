/**
 * Hostile job logic for the job isolation benchmark. Each attack is the
 * body of a job (`host` is the job's River API) and, for some, code at
 * the bundle's top level. A job that gets through returns a text that
 * starts with `ESCAPED`.
 */

/** Asks for a task, which the benchmark answers at once: a yield. */
const YIELD = 'await host.requestTask({ name: "t", spec: {} });';

/** Tries to reach the host's `process` from a value's constructor. */
const ESCAPE_FROM = (value) =>
  `const make = (${value}).constructor.constructor;
   return 'ESCAPED ' + typeof make('return process')();`;

/** Every attack, by name. */
export const ATTACKS = {
  'process.env': {
    body: `return typeof process === 'undefined' ? 'no process' :
      'ESCAPED ' + JSON.stringify(process.env);`,
  },
  "require('fs')": {
    body: `return 'ESCAPED ' + require('fs').readFileSync('/etc/hostname');`,
  },
  "import('fs')": {
    body: `const fs = await import('fs');
      return 'ESCAPED ' + typeof fs.readFileSync;`,
  },
  'constructor of an import() error': {
    body: `const error = await import('fs').catch((e) => e);
      ${ESCAPE_FROM('error')}`,
  },
  fetch: {
    body: `return 'ESCAPED ' + (await fetch('http://127.0.0.1:9/')).status;`,
  },
  'constructor of the River API': { body: ESCAPE_FROM('host.requestTask') },
  'constructor of the global object': { body: ESCAPE_FROM('globalThis') },
  'constructor of a task promise': {
    body: ESCAPE_FROM('host.requestTask({ name: "t", spec: {} })'),
  },
  'Error.prepareStackTrace frames': {
    body: `const found = [];
      Error.prepareStackTrace = (error, frames) => {
        for (const frame of frames) {
          found.push(frame.getThis(), frame.getFunction());
        }
        return '';
      };
      new Error().stack;
      for (const value of found.filter(Boolean)) {
        try {
          const p = value.constructor.constructor('return process')();
          if (p) return 'ESCAPED';
        } catch {}
      }
      return 'no host frame';`,
  },
  'stack overflow inside a host call': {
    body: `let leaked;
      function dive() {
        try { dive(); } catch {
          try { console.log(''); } catch (e) {
            if (!leaked && !(e instanceof RangeError)) leaked = e;
          }
        }
      }
      dive();
      if (!leaked) return 'no host error';
      ${ESCAPE_FROM('leaked')}`,
  },
  WebAssembly: {
    body: `new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
      return 'ESCAPED compiled';`,
  },
  'Atomics.wait forever': {
    body: `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);`,
  },
  'ArrayBuffers, 3 GB filled': {
    body: `const keep = [];
      for (let i = 0; i < 6; i++) {
        const part = new Uint8Array(5e8);
        part.fill(1);
        keep.push(part);
        ${YIELD}
      }
      return 'ESCAPED held 3 GB of ArrayBuffers';`,
  },
  'new ArrayBuffer(4e9)': {
    body: `const buffer = new ArrayBuffer(4e9);
      return 'ESCAPED reserved ' + buffer.byteLength + ' bytes';`,
  },
  'heap growth': {
    body: `const hoard = [];
      for (;;) { hoard.push(new Array(1e6).fill('river')); ${YIELD} }`,
  },
  'huge string split': {
    body: `return 'x'.repeat(2 ** 29 - 24).split('').length;`,
  },
  'array of 2^26 numbers': {
    body: 'return new Array(2 ** 26).fill(0.5).length;',
  },
  'deep recursion': { body: 'const dive = () => dive(); dive();' },
  'huge log lines': {
    body: `const line = 'x'.repeat(2 ** 27);
      for (let i = 0; i < 8; i++) { console.log(line); ${YIELD} }
      return 'ESCAPED sent 1 GB of log lines';`,
  },
  'endless loop': { body: 'for (;;) {}' },
  'endless microtask loop': { body: 'for (;;) await null;' },
  'CPU burn between yields': {
    body: `for (;;) { for (let i = 0; i < 3e8; i++) {} ${YIELD} }`,
  },
  'top-level endless loop': { top: 'while (true) {}', body: 'return 1;' },
  'top-level microtask loop': {
    top: '(async () => { for (;;) await null; })();',
    body: 'return 1;',
  },
  'top-level ArrayBuffers, 3 GB': {
    top: `const keep = [];
      for (let i = 0; i < 6; i++) keep.push(new Uint8Array(5e8).fill(1));`,
    body: `return 'ESCAPED held 3 GB at load';`,
  },
};

/** The bundle River's client would build for a one-job project. */
export function bundleOf(attack) {
  return `${attack.top ?? ''}
module.exports.default = {
  kind: 'river.project', apiVersion: 1, name: 'attack', sources: [],
  jobs: [{ name: 'attack', needs: [],
    start: async (host) => { ${attack.body} } }],
};`;
}
