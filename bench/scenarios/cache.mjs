/**
 * Cache: the clib example run on a River with nothing cached, then again
 * with nothing changed, after a `touch`, after an edit to a test and after
 * an edit to the library; against `make -j2` building the same in a tree
 * it keeps from one build to the next.
 */
import { fileURLToPath } from 'node:url';
import {
  copyExample,
  editLibrary,
  editTest,
  FLAG_SETS,
  LIBRARY_SOURCE,
  suiteCount,
  timeMakeBuild,
  touch,
} from '../lib/clib.mjs';
import { BenchStack, checkRun } from '../lib/river-stack.mjs';
import { row, sideBySide } from '../lib/side-by-side.mjs';

const WARM_UP = fileURLToPath(
  new URL('../pipelines/single.ts', import.meta.url),
);

const FLAGS = Object.keys(FLAG_SETS);
const BUILDS = FLAGS.map((flags) => `build-${flags}-1`);
const TESTS = FLAGS.map((flags) => `test-${flags}-1`);
const ALL_TASKS = ['configure-1', ...BUILDS, ...TESTS, 'package-1'];

/**
 * The steps of a round, in order: what each does to the copy before its
 * run, and which tasks must run (the others must be cache hits).
 */
export const STEPS = [
  { key: 'cold', label: 'cold run', change: () => undefined, ran: ALL_TASKS },
  { key: 'unchanged', label: 'no change', change: () => undefined, ran: [] },
  {
    key: 'touched',
    label: `touch ${LIBRARY_SOURCE}`,
    change: (dir) => touch(dir, LIBRARY_SOURCE),
    ran: [],
  },
  { key: 'testEdited', label: 'test edited', change: editTest, ran: TESTS },
  {
    key: 'libraryEdited',
    label: 'library edited',
    change: editLibrary,
    ran: [...BUILDS, ...TESTS, 'package-1'],
  },
];

/**
 * Checks a run of the example against the tasks that had to run: it
 * succeeded, every task finished once with 0, each of `ran` started and
 * missed the cache, and every other task was a hit that did not start.
 *
 * @returns the ids of the tasks that ran, in the order of `ALL_TASKS`.
 * @throws Error naming the first task that ran or hit against the plan.
 */
export function checkCacheRun({ runId, events }, ran, tasks = ALL_TASKS) {
  checkRun({ runId, events }, tasks.length);
  const lookups = new Map();
  const started = new Set();
  const reused = new Set();
  for (const event of events) {
    if (event.type === 'task.cache') {
      lookups.set(event.taskId, event.result);
    } else if (event.type === 'task.started') {
      started.add(event.taskId);
    } else if (event.type === 'task.finished' && event.cached !== undefined) {
      reused.add(event.taskId);
    }
  }
  for (const taskId of tasks) {
    const expected = ran.includes(taskId) ? 'miss' : 'hit';
    const fail = (what) => new Error(`Task ${taskId} of ${runId} ${what}.`);
    const lookup = lookups.get(taskId);
    if (lookup !== expected) {
      throw fail(`had ${lookup ?? 'no cache lookup'}, not a cache ${expected}`);
    }
    if (started.has(taskId) !== (lookup === 'miss')) {
      const what = started.has(taskId) ? 'ran' : 'did not run';
      throw fail(`${what} on a cache ${lookup}`);
    }
    if (reused.has(taskId) !== (lookup === 'hit')) {
      const how = reused.has(taskId) ? 'with' : 'without';
      throw fail(`finished ${how} a reused result on a cache ${lookup}`);
    }
  }
  return tasks.filter((taskId) => started.has(taskId));
}

/**
 * What the example's jobs logged about their results: the tests each
 * build passed, and the package's tarball digest and test total.
 *
 * @throws Error when a job did not log its result, or the package's
 *   total is not the sum of the builds' tests.
 */
export function checkExampleResults({ runId, events }) {
  const logs = events.filter((event) => event.type === 'job.log');
  let total = 0;
  for (const flags of FLAGS) {
    const logged = logs.find((event) => event.job === `test-${flags}`);
    const passed = Number(/^(\d+) tests passed$/.exec(logged?.message)?.[1]);
    if (!(passed > 0)) {
      throw new Error(`test-${flags} of ${runId} logged no tests passed.`);
    }
    total += passed;
  }
  const packaged = logs.filter((event) => event.job === 'package');
  const sha256 = packaged
    .map((event) => / sha256 ([0-9a-f]{64})$/.exec(event.message)?.[1])
    .find((digest) => digest !== undefined);
  const counted = packaged.some((event) =>
    event.message.startsWith(`${total} tests passed across ${FLAGS.length}`),
  );
  if (sha256 === undefined || !counted) {
    throw new Error(
      `The package of ${runId} logged no tarball digest or not ${total} ` +
        'tests passed.',
    );
  }
  return { sha256, testsPassed: total };
}

/**
 * One round on River: a fresh River (nothing cached), a warm-up run of
 * another project, then each step's run of a fresh copy of the example.
 */
async function riverRound() {
  const copy = await copyExample();
  const stack = await BenchStack.start({ sandboxes: 2, slots: 1 });
  try {
    checkRun(await stack.runProject(WARM_UP), 1);
    const measures = {};
    const tarballs = [];
    for (const step of STEPS) {
      await step.change(copy.dir);
      const result = await stack.runProject(copy.pipeline);
      checkCacheRun(result, step.ran);
      if (step.key === 'cold') {
        checkFlags(result);
      }
      tarballs.push(checkExampleResults(result).sha256);
      measures[`${step.key}Ms`] = result.wallMs;
    }
    // The package is reused, so its tarball stays the same, until the
    // library changes.
    if (new Set(tarballs.slice(0, -1)).size !== 1) {
      throw new Error('The tarball changed without a library change.');
    }
    if (tarballs.at(-1) === tarballs[0]) {
      throw new Error('The library changed but the tarball did not.');
    }
    return measures;
  } finally {
    await stack.stop();
    await copy.remove();
  }
}

/** Checks that River's builds used the baseline's flags. */
function checkFlags({ runId, events }) {
  for (const flags of FLAGS) {
    const requested = events.find(
      (event) =>
        event.type === 'task.requested' && event.taskId === `build-${flags}-1`,
    );
    if (!requested?.command.includes(`CFLAGS=${FLAG_SETS[flags]}`)) {
      throw new Error(
        `build-${flags}-1 of ${runId} ran ${requested?.command}, not the ` +
          "baseline's flags: update FLAG_SETS in bench/lib/clib.mjs.",
      );
    }
  }
}

/** One round under make: each step's build of a fresh copy, kept tree. */
async function makeRound() {
  const copy = await copyExample();
  try {
    const measures = {};
    const expected = (await suiteCount(copy.dir)) * FLAGS.length;
    for (const step of STEPS) {
      await step.change(copy.dir);
      const { wallMs, stdout } = await timeMakeBuild(copy.dir);
      const suites = stdout.match(/^\w+: \d+ passed, 0 failed$/gm) ?? [];
      const wrote = /^wrote dist\//m.test(stdout);
      if (suites.length !== expected || !wrote) {
        throw new Error(
          `make's ${step.label} passed ${suites.length} of ${expected} ` +
            'test suites and wrote ' +
            `${wrote ? 'a' : 'no'} tarball:\n${stdout.slice(-2_000)}`,
        );
      }
      measures[`${step.key}Ms`] = wallMs;
    }
    return measures;
  } finally {
    await copy.remove();
  }
}

export default {
  name: 'cache',
  summary: 'the clib example cold, unchanged, touched and edited',
  // The example is small already: --quick runs it as it is.
  async run({ repeat, log }) {
    const { medians } = await sideBySide(
      repeat,
      { River: riverRound, 'make -j2': makeRound },
      log,
    );
    const rows = STEPS.map((step) =>
      row(
        `${step.label} (${step.ran.length} tasks run): wall ms`,
        medians,
        `${step.key}Ms`,
      ),
    );
    const ratios = STEPS.slice(1).map((step) => ({
      measure: `${step.label} / cold`,
      values: Object.fromEntries(
        Object.entries(medians).map(([name, values]) => [
          name,
          values[`${step.key}Ms`] / values.coldMs,
        ]),
      ),
    }));
    return {
      rows: [...rows, ...ratios],
      targets: [],
      detail: {
        tasksRun: Object.fromEntries(STEPS.map((step) => [step.key, step.ran])),
      },
    };
  },
};
