import { configDefaults, defineConfig } from 'vitest/config';

// CI asks for a JSON report it can count from; people get the default one.
const report = process.env.RIVER_TEST_REPORT;

/** The browser tests: they measure frames and main-thread tasks. */
const BROWSER_TESTS = 'tests/ui/**/*.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Every test file starts its own nats-server; two cores run two files.
    maxWorkers: 2,
    pool: 'forks',
    reporters: report ? ['default', 'json'] : ['default'],
    ...(report ? { outputFile: { json: report } } : {}),
    projects: [
      {
        extends: true,
        test: {
          name: 'river',
          include: [
            'packages/*/src/**/*.test.ts',
            'services/*/src/**/*.test.ts',
            'tests/**/*.test.ts',
          ],
          exclude: [...configDefaults.exclude, BROWSER_TESTS],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: [BROWSER_TESTS],
          // Frame times and long tasks measure the page only on a machine
          // that nothing else keeps busy: one file at a time, after the rest.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
