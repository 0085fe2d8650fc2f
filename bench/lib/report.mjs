/** Prints the bench's results as plain-text tables. */
import { round } from './side-by-side.mjs';

/** Prints each scenario's medians and its targets with their ratios. */
export function printResults(results, { repeat }) {
  console.log(`\nMedians of ${repeat} runs each, side by side.\n`);
  for (const result of results) {
    console.log(`## ${result.scenario}`);
    if (result.error !== undefined) {
      console.log(`  FAILED: ${result.error}\n`);
      continue;
    }
    for (const { measure, values } of result.rows) {
      const cells = Object.entries(values)
        .map(([system, value]) => `${system} ${round(value)}`)
        .join(' | ');
      console.log(`  ${measure.padEnd(28)} ${cells}`);
    }
    for (const target of result.targets) {
      const mark = target.met ? 'met   ' : 'MISSED';
      console.log(
        `  ${mark} ${target.target.padEnd(40)} measured ${round(target.ratio)}`,
      );
    }
    console.log('');
  }
}
