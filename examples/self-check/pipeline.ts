/**
 * River checking itself: lint, type check and unit tests, as three
 * parallel jobs over the repository's own sources.
 */
import { type JobContext, job, project } from '@river/sdk';

/** npm ci, tsc and a dozen nats-servers take a while on a busy sandbox. */
const TASK_TIMEOUT_MS = 10 * 60 * 1_000;

/**
 * Every job installs its own dependencies. The alternative, one install
 * job handing node_modules on, has to pack it into a tarball, because
 * outputs carry regular files only and node_modules is full of symbolic
 * links (`.bin`, the workspace packages). Measured on a two-core machine,
 * that made the run slower, about 52 s against 41 s: fetching and
 * unpacking 190 MB costs as much as `npm ci` itself, and the install job
 * runs before the rest. The tarball would also add a new 190 MB artifact
 * to the store on every run, since tar records modification times.
 */
const INSTALL = 'npm ci --no-audit --no-fund --prefer-offline';

/** The vitest summary line: `Tests  65 passed (65)`. */
const VITEST_SUMMARY = /Tests\s+(\d+) passed/;

/** Runs `command` in a fresh checkout of the sources, once installed. */
function inCheckout(ctx: JobContext, name: string, command: string) {
  return ctx.sh(`${INSTALL} && ${command}`, {
    name,
    inputs: ctx.sources,
    // The CLI shows task logs as they are; escape codes only clutter.
    env: { NO_COLOR: '1' },
    timeoutMs: TASK_TIMEOUT_MS,
    // npm ci fetches the packages from the registry.
    network: true,
  });
}

const lint = job('lint', async (ctx) => {
  const result = await inCheckout(ctx, 'biome', 'npx biome check .');
  return { durationMs: result.durationMs };
});

const typecheck = job('typecheck', async (ctx) => {
  // Every workspace starts empty, so there is nothing to build
  // incrementally; --force also keeps tsc from trusting a .tsbuildinfo
  // that came along with the sources while its dist did not.
  const result = await inCheckout(ctx, 'tsc', 'npx tsc -b --force');
  return { durationMs: result.durationMs };
});

const unitTests = job('unit-tests', async (ctx) => {
  // The packages import each other through their built dist, so the
  // tests need a build first, as `npm run build` makes it but forced (see
  // typecheck). Debian installs nats-server in /usr/sbin, which an
  // unprivileged sandbox's PATH may lack.
  const result = await inCheckout(
    ctx,
    'vitest',
    'export PATH="$PATH:/usr/sbin" && npx tsc -b --force && ' +
      'npm run build:typebox && npx vitest run packages',
  );
  const passed = Number(VITEST_SUMMARY.exec(result.stdout)?.[1] ?? 0);
  ctx.log(`${passed} unit tests passed`);
  return { passed, durationMs: result.durationMs };
});

export default project({
  name: 'self-check',
  // Relative to this file; tasks see them at the repository's layout.
  sources: [
    '../../packages',
    '../../services',
    '../../tests',
    '../../package.json',
    '../../package-lock.json',
    '../../tsconfig.base.json',
    '../../tsconfig.json',
    '../../biome.json',
    '../../vitest.config.ts',
  ],
  jobs: [lint, typecheck, unitTests],
});
