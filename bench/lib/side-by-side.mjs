/**
 * Runs each system of a scenario in turn, repeatedly, so that River and
 * its baselines see the same machine at the same time; reduces each
 * measure to its median over the repetitions.
 */
import { median } from './stats.mjs';

/**
 * Calls each of `systems` (name → async function returning an object of
 * measures) once per repetition, in turn, `repeat` times.
 *
 * @returns name → measure → median over the repetitions, and the samples.
 */
export async function sideBySide(repeat, systems, log) {
  const samples = Object.fromEntries(
    Object.keys(systems).map((name) => [name, []]),
  );
  for (let round = 1; round <= repeat; round++) {
    for (const [name, measure] of Object.entries(systems)) {
      const result = await measure(round);
      log(`  ${name} #${round}: ${formatMeasures(result)}`);
      samples[name].push(result);
    }
  }
  const medians = {};
  for (const [name, results] of Object.entries(samples)) {
    medians[name] = {};
    for (const key of Object.keys(results[0] ?? {})) {
      medians[name][key] = median(results.map((result) => result[key]));
    }
  }
  return { medians, samples };
}

function formatMeasures(measures) {
  return Object.entries(measures)
    .map(([key, value]) => `${key} ${round(value)}`)
    .join(', ');
}

/** A number rounded to three significant digits, for printing. */
export function round(value) {
  if (!Number.isFinite(value)) {
    return String(value);
  }
  return Number(value.toPrecision(3)).toString();
}

/** A table row: one measure of every system. */
export function row(measure, medians, key) {
  return {
    measure,
    values: Object.fromEntries(
      Object.entries(medians).map(([name, values]) => [name, values[key]]),
    ),
  };
}
