/**
 * The clib example as the cache scenario uses it: copies of it in a
 * temporary directory, the edits made to a copy between runs, and the
 * same build under `make -j2` in a tree kept from one build to the next.
 */
import {
  appendFile,
  cp,
  mkdtemp,
  readdir,
  rm,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopOnInterrupt } from './cleanup.mjs';
import { runChecked } from './processes.mjs';

const EXAMPLE = fileURLToPath(new URL('../../examples/clib', import.meta.url));

/** What a copy holds: the project file and the sources it declares. */
const EXAMPLE_FILES = [
  'pipeline.ts',
  'configure',
  'Makefile',
  'src',
  'include',
  'tests',
];

/**
 * The example's flag sets, as `FLAG_SETS` in its pipeline.ts; the
 * scenario checks that River's builds ran with these flags.
 */
export const FLAG_SETS = {
  debug: '-O0 -g',
  release: '-O2 -DNDEBUG',
  asan:
    '-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer ' +
    '-fno-sanitize-recover=all',
  portable: '-Os -DFIXED_PORTABLE',
};

/** The flag set the example packages. */
const PACKAGED = 'release';

/** The source file that `touch` and the library edit change. */
export const LIBRARY_SOURCE = 'src/text.c';

/** The test source that the test edit changes. */
export const TEST_SOURCE = 'tests/test_text.c';

/**
 * Copies the example into a fresh temporary directory; `remove()` deletes
 * it. The example in the repository is never written to.
 */
export async function copyExample() {
  const parent = await mkdtemp(join(tmpdir(), 'river-bench-clib-'));
  const dir = join(parent, 'clib');
  const remove = stopOnInterrupt(() =>
    rm(parent, { recursive: true, force: true }),
  );
  try {
    for (const name of EXAMPLE_FILES) {
      await cp(join(EXAMPLE, name), join(dir, name), { recursive: true });
    }
  } catch (error) {
    await remove();
    throw error;
  }
  return { dir, pipeline: join(dir, 'pipeline.ts'), remove };
}

/** How many test programs, one per suite, the copy in `dir` has. */
export async function suiteCount(dir) {
  const names = await readdir(join(dir, 'tests'));
  return names.filter((name) => /^test_\w+\.c$/.test(name)).length;
}

/** Sets a file's modification time to now, its content untouched. */
export async function touch(dir, path) {
  const now = new Date();
  await utimes(join(dir, path), now, now);
}

/** Appends a comment to the test source: its content changes, no test. */
export function editTest(dir) {
  return appendFile(join(dir, TEST_SOURCE), '/* Edited by the bench. */\n');
}

/**
 * Appends a function to the library source, declared first as the
 * warnings require: every flag set's library changes.
 */
export function editLibrary(dir) {
  return appendFile(
    join(dir, LIBRARY_SOURCE),
    '\nint fixed_bench_edit(void);\n' +
      'int fixed_bench_edit(void) { return 1; }\n',
  );
}

/**
 * A Makefile that does what the pipeline does, with the example's own
 * Makefile: configure, each flag set's library and tests, then the
 * package. It runs `configure` again only when `configure` changed; the
 * example's `lib`, `test` and `dist` targets decide what else is redone.
 */
export function driverMakefile() {
  const names = Object.keys(FLAG_SETS);
  const rules = names.flatMap((name) => {
    const args = `BUILD=build/${name} 'CFLAGS=${FLAG_SETS[name]}'`;
    return [
      `lib-${name}: config.mk\n\t$(MAKE) -f Makefile lib ${args}\n`,
      `test-${name}: lib-${name}\n\t$(MAKE) -f Makefile test ${args}\n`,
    ];
  });
  const tests = names.map((name) => `test-${name}`);
  const phony = ['dist', ...names.map((name) => `lib-${name}`), ...tests];
  return (
    `.PHONY: ${phony.join(' ')}\n` +
    `dist: ${tests.join(' ')}\n` +
    `\t$(MAKE) -f Makefile dist BUILD=build/${PACKAGED} DISTDIR=dist\n` +
    'config.mk: configure\n\t./configure\n' +
    rules.join('')
  );
}

/**
 * Builds the copy in `dir` with `make -j2` and the driver Makefile;
 * resolves with the wall time in milliseconds and make's output.
 *
 * @throws Error when make fails.
 */
export async function timeMakeBuild(dir) {
  const driver = join(dir, '..', 'driver.mk');
  await writeFile(driver, driverMakefile());
  const started = performance.now();
  const { stdout } = await runChecked('make', [
    '-j2',
    '-s',
    '-C',
    dir,
    '-f',
    driver,
  ]);
  return { wallMs: performance.now() - started, stdout };
}
