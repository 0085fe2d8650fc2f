/**
 * Builds libfixed, a small C library, under several sets of compiler flags
 * at once, tests each build, and packages the release build:
 *
 *   configure ─┬─ build-debug ──── test-debug ────┐
 *              ├─ build-release ── test-release ──┤
 *              ├─ build-asan ───── test-asan ─────┼─ package
 *              └─ build-portable ─ test-portable ─┘
 *
 * Every task starts in an empty workspace, possibly on another machine, so
 * each one receives the sources and whatever earlier tasks produced as its
 * inputs, and names the files it hands on as its outputs.
 */
import { job, placeUnder, project, takeFrom } from '@river/sdk';

/** Each task here takes seconds; a hung compiler should not hold a run. */
const TASK_TIMEOUT_MS = 5 * 60 * 1_000;

/**
 * The flag sets to build and test. `asan` catches memory errors and
 * undefined behaviour the tests trip over; `portable` compiles the plain C
 * paths that stand in for compiler builtins elsewhere.
 */
const FLAG_SETS = [
  { name: 'debug', cflags: '-O0 -g' },
  { name: 'release', cflags: '-O2 -DNDEBUG' },
  {
    name: 'asan',
    cflags:
      '-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer ' +
      '-fno-sanitize-recover=all',
  },
  { name: 'portable', cflags: '-Os -DFIXED_PORTABLE' },
] as const;

/** The release build is the one that gets packaged. */
const PACKAGED = 'release';

/** One suite's line of the test runner: `arith: 13 passed, 0 failed`. */
const SUITE_SUMMARY = /^([\w-]+): (\d+) passed, (\d+) failed$/gm;

type FlagSet = (typeof FLAG_SETS)[number];

interface SuiteCount {
  suite: string;
  passed: number;
  failed: number;
}

const configure = job('configure', async (ctx) => {
  const result = await ctx.sh('./configure', {
    inputs: ctx.sources,
    outputs: ['config.h', 'config.mk'],
    timeoutMs: TASK_TIMEOUT_MS,
  });
  return result.files;
});

function suiteCounts(stdout: string): SuiteCount[] {
  return [...stdout.matchAll(SUITE_SUMMARY)].map((match) => ({
    suite: match[1] ?? '',
    passed: Number(match[2]),
    failed: Number(match[3]),
  }));
}

function sum(counts: readonly SuiteCount[], key: 'passed' | 'failed') {
  return counts.reduce((total, count) => total + count[key], 0);
}

/**
 * Declares the build and test jobs of one flag set. Make's arguments go as
 * an argument vector, so the flags need no shell quoting.
 */
function variant(flags: FlagSet) {
  const directory = `build/${flags.name}`;
  const makeArguments = [`BUILD=${directory}`, `CFLAGS=${flags.cflags}`];

  const build = job(
    `build-${flags.name}`,
    { needs: [configure] },
    async (ctx) => {
      const result = await ctx.sh(['make', 'lib', ...makeArguments], {
        name: `make lib (${flags.name})`,
        inputs: [...ctx.sources, ...ctx.upstream.configure],
        outputs: [`${directory}/libfixed.a`],
        timeoutMs: TASK_TIMEOUT_MS,
      });
      // Handed on without the directory, so that a consumer decides
      // where the library goes in its own workspace.
      return { flags: flags.name, library: takeFrom(directory, result.files) };
    },
  );

  const test = job(
    `test-${flags.name}`,
    { needs: [configure, build] },
    async (ctx) => {
      const { library } = ctx.upstream[build.name];
      const result = await ctx.sh(['make', 'test', ...makeArguments], {
        name: `make test (${flags.name})`,
        inputs: [
          ...ctx.sources,
          ...ctx.upstream.configure,
          ...placeUnder(directory, library),
        ],
        timeoutMs: TASK_TIMEOUT_MS,
        // A failure is reported below with the failing tests' names.
        check: false,
      });

      const suites = suiteCounts(result.stdout);
      const passed = sum(suites, 'passed');
      const failed = sum(suites, 'failed');
      if (!result.ok || failed > 0 || suites.length === 0) {
        // The runner prints a FAIL line per test, after the indented
        // checks that failed; a build error leaves only stderr.
        const failures = result.stdout
          .split('\n')
          .filter((line) => line.startsWith('FAIL ') || line.startsWith(' '));
        const detail =
          failures.length > 0 ? failures.join('\n') : result.stderr.trim();
        ctx.log(`make test failed\n${detail}`);

        const outcome =
          suites.length === 0
            ? 'no test suite ran'
            : `${failed} of ${passed + failed} tests failed`;
        throw new Error(
          `${outcome} (make exited with ${result.exitCode ?? result.signal}).`,
        );
      }
      ctx.log(`${passed} tests passed`);
      return { flags: flags.name, passed, failed, suites };
    },
  );

  return { build, test };
}

const variants = FLAG_SETS.map((flags) => variant(flags));
const builds = variants.map((item) => item.build);
const tests = variants.map((item) => item.test);

const pack = job(
  'package',
  { needs: [configure, ...builds, ...tests] },
  async (ctx) => {
    const { library } = ctx.upstream[`build-${PACKAGED}`];
    const result = await ctx.sh(
      `make dist BUILD=build/${PACKAGED} DISTDIR=dist && ` +
        'sha256sum dist/*.tar.gz',
      {
        name: 'make dist',
        inputs: [
          ...ctx.sources,
          ...ctx.upstream.configure,
          ...placeUnder(`build/${PACKAGED}`, library),
        ],
        outputs: ['dist'],
        timeoutMs: TASK_TIMEOUT_MS,
      },
    );

    const tarball = result.files[0];
    const sha256 = /^([0-9a-f]{64}) /m.exec(result.stdout)?.[1];
    if (tarball === undefined || result.files.length !== 1 || !sha256) {
      throw new Error(
        `make dist should leave one tarball and its sha256; it left ` +
          `${result.files.length} files and printed: ${result.stdout}`,
      );
    }
    // The store addresses files by their SHA-256, so the two must agree;
    // a difference means the file changed between the command and upload.
    if (tarball.digest !== sha256) {
      throw new Error(
        `${tarball.path} has sha256 ${sha256} in its task but ` +
          `${tarball.digest} in the artifact store.`,
      );
    }

    const passed = tests.reduce(
      (total, item) => total + ctx.upstream[item.name].passed,
      0,
    );
    ctx.log(`${tarball.path} sha256 ${sha256}`);
    ctx.log(`${passed} tests passed across ${tests.length} builds`);
    return { tarball: result.files, sha256, testsPassed: passed };
  },
);

export default project({
  name: 'clib',
  sources: ['src', 'include', 'tests', 'configure', 'Makefile'],
  jobs: [configure, ...builds, ...tests, pack],
});
