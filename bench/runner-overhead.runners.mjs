/**
 * The task runners the overhead benchmark compares. Each entry sets its
 * runner up once and returns it, or says why it is not available here;
 * a new runner (docker, a Kubernetes pod) is one more entry.
 */
import { setUpBwrap } from '../services/sandbox/dist/runners/bwrap-setup.js';
import { ProcessRunner } from '../services/sandbox/dist/runners/process-runner.js';
import { DOCKER_RUNNER } from './runner-overhead.docker.mjs';

/**
 * @typedef {object} BenchRunner
 * @property {string} kind the runner's name in the table
 * @property {(setup: { workDir: string, log: object }) =>
 *   Promise<{ runner: object, request?: object, stop?: () => Promise<void> }
 *     | { unavailable: string }>}
 *   setUp sets the runner up; `request` holds fields every task of it
 *   needs besides the no-op command (an image, for example), and `stop`
 *   takes down what the set-up started, once the benchmark is over
 */

/** @type {BenchRunner[]} */
export const RUNNERS = [
  {
    kind: 'process',
    setUp: async () => ({ runner: new ProcessRunner() }),
  },
  {
    kind: 'bwrap',
    setUp: ({ workDir, log }) =>
      setUpBwrap({ workDir, readOnlyPaths: [], log }),
  },
  DOCKER_RUNNER,
];
