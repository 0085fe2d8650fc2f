/**
 * The docker runner for the overhead benchmark. It starts a Docker engine
 * of its own, as the tests do (tests/helpers/docker-engine.ts, bundled
 * here with esbuild), on a socket in a temporary directory, never the
 * host's default one, with the busybox test image, and stops it once the
 * benchmark is done with it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { setUpDocker } from '../services/sandbox/dist/runners/docker-setup.js';

const HARNESS = fileURLToPath(
  new URL('../tests/helpers/docker-engine.ts', import.meta.url),
);

/** The test harness, compiled to a module Node can load. */
async function loadHarness() {
  const dir = await mkdtemp(join(tmpdir(), 'river-bench-docker-'));
  const outfile = join(dir, 'docker-engine.mjs');
  try {
    await build({
      entryPoints: [HARNESS],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'error',
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** @type {import('./runner-overhead.runners.mjs').BenchRunner} */
export const DOCKER_RUNNER = {
  kind: 'docker',
  setUp: async ({ log }) => {
    const harness = await loadHarness();
    const unavailable = harness.dockerEngineUnavailable({ quiet: true });
    if (unavailable !== undefined) {
      return { unavailable };
    }
    const engine = await harness.startDockerEngine();
    const offer = await setUpDocker({ host: engine.host, log });
    if ('unavailable' in offer) {
      await engine.stop();
      return offer;
    }
    return {
      runner: offer.runner,
      request: { image: harness.TEST_IMAGE },
      stop: () => engine.stop(),
    };
  },
};
