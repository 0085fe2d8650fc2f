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
 * files travel as artifacts: `configure` provides the generated headers,
 * each build provides its library, and the jobs that need them consume
 * those artifacts by name, without naming the jobs that made them.
 *
 * Each task is given only the sources it reads, so the cache reruns only
 * the tasks an edit concerns: a changed test reruns the tests alone.
 */
import {
  artifact,
  type FileRef,
  job,
  matrix,
  placeUnder,
  project,
  takeFrom,
} from '@river/sdk';

/** Each task here takes seconds; a hung compiler should not hold a run. */
const TASK_TIMEOUT_MS = 5 * 60 * 1_000;

/**
 * The flag sets to build and test. `asan` catches memory errors and
 * undefined behaviour the tests trip over; `portable` compiles the plain C
 * paths that stand in for compiler builtins elsewhere.
 */
const FLAG_SETS = {
  debug: '-O0 -g',
  release: '-O2 -DNDEBUG',
  asan:
    '-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer ' +
    '-fno-sanitize-recover=all',
  portable: '-Os -DFIXED_PORTABLE',
} as const;

type FlagSet = keyof typeof FLAG_SETS;

const FLAG_SET_NAMES = Object.keys(FLAG_SETS) as FlagSet[];

/**
 * The sources each task reads, as files or directories of the project.
 * `configure` reads only itself; `make lib`, `make test` and `make dist`
 * read the Makefile and their own part of the tree.
 */
const READS = {
  configure: ['configure'],
  build: ['Makefile', 'src', 'include'],
  test: ['Makefile', 'tests', 'include'],
  package: ['Makefile', 'include'],
} as const;

/**
 * The files at one of `paths` or under it: a task's share of the sources.
 *
 * @throws Error naming a path that holds no file, such as a misspelt one,
 *   before a task starts without the files it needs.
 */
function filesAt(
  paths: readonly string[],
  files: readonly FileRef[],
): FileRef[] {
  const holds = (path: string, file: FileRef) =>
    file.path === path || file.path.startsWith(`${path}/`);
  const empty = paths.filter(
    (path) => !files.some((file) => holds(path, file)),
  );
  if (empty.length > 0) {
    throw new Error(`No source lies at or under ${empty.join(', ')}.`);
  }
  return files.filter((file) => paths.some((path) => holds(path, file)));
}

/** The headers and make settings that `configure` writes. */
const configuration = artifact('configuration', 'tree');

/** One flag set's static library, on its own. */
function libraryOf(flags: FlagSet) {
  return artifact(`libfixed-${flags}`, 'file');
}

/** Make's arguments for a flag set, as an argument vector: no quoting. */
function makeArguments(flags: FlagSet): string[] {
  return [`BUILD=build/${flags}`, `CFLAGS=${FLAG_SETS[flags]}`];
}

/** The release build is the one that gets packaged. */
const PACKAGED: FlagSet = 'release';

/** One suite's line of the test runner: `arith: 13 passed, 0 failed`. */
const SUITE_SUMMARY = /^([\w-]+): (\d+) passed, (\d+) failed$/gm;

interface SuiteCount {
  suite: string;
  passed: number;
  failed: number;
}

const configure = job(
  'configure',
  { provides: [configuration] },
  async (ctx) => {
    const result = await ctx.sh('./configure', {
      inputs: filesAt(READS.configure, ctx.sources),
      outputs: ['config.h', 'config.mk'],
      timeoutMs: TASK_TIMEOUT_MS,
    });
    ctx.provide(configuration, result.files);
  },
);

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

const builds = matrix(
  'build',
  { flags: FLAG_SET_NAMES },
  {
    consumes: () => [configuration],
    provides: (cell) => [libraryOf(cell.flags)],
  },
  async (ctx, { flags }) => {
    const result = await ctx.sh(['make', 'lib', ...makeArguments(flags)], {
      name: `make lib (${flags})`,
      inputs: [
        ...filesAt(READS.build, ctx.sources),
        ...ctx.artifact(configuration),
      ],
      outputs: [`build/${flags}/libfixed.a`],
      timeoutMs: TASK_TIMEOUT_MS,
    });
    // Handed on without the directory, so that a consumer decides where
    // the library goes in its own workspace.
    const [library] = takeFrom(`build/${flags}`, result.files);
    if (library === undefined) {
      throw new Error(`make lib left no build/${flags}/libfixed.a`);
    }
    ctx.provide(libraryOf(flags), library);
  },
);

const tests = matrix(
  'test',
  { flags: FLAG_SET_NAMES },
  { consumes: (cell) => [configuration, libraryOf(cell.flags)] },
  async (ctx, { flags }) => {
    const library = ctx.artifact(libraryOf(flags));
    const result = await ctx.sh(['make', 'test', ...makeArguments(flags)], {
      name: `make test (${flags})`,
      inputs: [
        ...filesAt(READS.test, ctx.sources),
        ...ctx.artifact(configuration),
        ...placeUnder(`build/${flags}`, [library]),
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
    return { flags, passed, failed, suites };
  },
);

const pack = job(
  'package',
  { needs: tests, consumes: [configuration, libraryOf(PACKAGED)] },
  async (ctx) => {
    const library = ctx.artifact(libraryOf(PACKAGED));
    const result = await ctx.sh(
      `make dist BUILD=build/${PACKAGED} DISTDIR=dist && ` +
        'sha256sum dist/*.tar.gz',
      {
        name: 'make dist',
        inputs: [
          ...filesAt(READS.package, ctx.sources),
          ...ctx.artifact(configuration),
          ...placeUnder(`build/${PACKAGED}`, [library]),
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
      (total, item) => total + (ctx.upstream[item.name]?.passed ?? 0),
      0,
    );
    ctx.log(`${tarball.path} sha256 ${sha256}`);
    ctx.log(`${passed} tests passed across ${tests.length} builds`);
    return { tarball: result.files, sha256, testsPassed: passed };
  },
);

export default project({
  name: 'clib',
  // Every task's result is reused while its inputs and command stay the
  // same: a second run with nothing changed runs no task, and an edit
  // reruns only the tasks given the edited file, and those downstream
  // whose inputs it changed.
  cache: true,
  sources: ['src', 'include', 'tests', 'configure', 'Makefile'],
  jobs: [configure, ...builds, ...tests, pack],
});
