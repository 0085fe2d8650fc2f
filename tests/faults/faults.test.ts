import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FAULT_KINDS,
  type FaultKind,
  FaultStack,
  type IterationReport,
  runFaultIteration,
} from './harness.js';

/**
 * Iterations per kind of fault: a few in the normal suite, many with
 * `npm run test:faults`. `RIVER_FAULT_KINDS` limits the kinds and
 * `RIVER_FAULT_SEED` repeats a printed run.
 */
const ITERATIONS = Number(process.env.RIVER_FAULT_ITERATIONS ?? '2');
const KINDS = (process.env.RIVER_FAULT_KINDS?.split(',') ??
  FAULT_KINDS) as FaultKind[];
const BASE_SEED = Number(
  process.env.RIVER_FAULT_SEED ?? Math.floor(Math.random() * 1_000_000),
);

let stack: FaultStack;
const reports: IterationReport[] = [];

beforeAll(async () => {
  stack = await FaultStack.start();
});

afterAll(async () => {
  await stack?.stop();
  const lines = reports.map(
    (r) =>
      `${r.kind.padEnd(13)} seed ${r.seed} killed ${r.victim} after ${r.killAfterMs} ms; ` +
      `${r.tasks} tasks in ${r.durationMs} ms; ` +
      (r.takeoverMs === undefined ? '' : `taken over in ${r.takeoverMs} ms; `) +
      (r.problems.length === 0 ? 'ok' : `${r.problems.length} problems`),
  );
  process.stdout.write(`\nFault iterations:\n${lines.join('\n')}\n`);
});

describe.each(KINDS)('killing the %s at a random moment', (kind) => {
  const seeds = Array.from(
    { length: ITERATIONS },
    (_, index) => BASE_SEED + KINDS.indexOf(kind) * 1_000 + index,
  );

  it.each(seeds)(
    'loses nothing and runs nothing twice (seed %i)',
    async (seed) => {
      process.stdout.write(`fault ${kind}, seed ${seed}\n`);
      const report = await runFaultIteration(stack, kind, seed);
      reports.push(report);
      expect(report.problems, `seed ${seed}, run ${report.runId}`).toEqual([]);
    },
    200_000,
  );
});
