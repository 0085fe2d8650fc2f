import { defineConfig } from 'vitest/config';

// CI asks for a JSON report it can count from; people get the default one.
const report = process.env.RIVER_TEST_REPORT;

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'services/*/src/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Every test file starts its own nats-server; two cores run two files.
    maxWorkers: 2,
    pool: 'forks',
    reporters: report ? ['default', 'json'] : ['default'],
    ...(report ? { outputFile: { json: report } } : {}),
  },
});
