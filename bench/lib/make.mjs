/**
 * Makefiles for the graph baselines: the same graph as River's, each
 * target running the same no-op command, built with `make -j2`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChecked } from './processes.mjs';

/**
 * A Makefile text from target → the targets it needs; every target is
 * phony and runs `sh -c true`.
 */
export function makefileOf(graph) {
  const names = Object.keys(graph);
  const rules = names.map(
    (name) => `${name}: ${graph[name].join(' ')}\n\t@sh -c true\n`,
  );
  return `.PHONY: ${names.join(' ')}\n${rules.join('')}`;
}

/**
 * Builds `goal` of the graph with `make -j2` in a fresh directory;
 * resolves with the wall time in milliseconds.
 */
export async function timeMake(graph, goal) {
  const dir = await mkdtemp(join(tmpdir(), 'river-bench-make-'));
  try {
    await writeFile(join(dir, 'Makefile'), makefileOf(graph));
    const started = performance.now();
    await runChecked('make', ['-j2', '-s', '-C', dir, goal]);
    return performance.now() - started;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A chain of `length` targets, each needing the one before. */
export function chainGraph(length) {
  return Object.fromEntries(
    Array.from({ length }, (_, index) => [
      `step-${index}`,
      index === 0 ? [] : [`step-${index - 1}`],
    ]),
  );
}

/** A diamond: `top`, `width` targets needing it, `bottom` needing those. */
export function diamondGraph(width) {
  const middle = Array.from({ length: width }, (_, index) => `middle-${index}`);
  return {
    top: [],
    ...Object.fromEntries(middle.map((name) => [name, ['top']])),
    bottom: middle,
  };
}
