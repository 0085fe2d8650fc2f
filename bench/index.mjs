/**
 * River's benchmarks: each scenario runs River and its baselines side by
 * side on this machine, several times, and reports medians, the ratios
 * the targets are set on, and whether each target was met.
 *
 *   npm run bench                      every scenario
 *   npm run bench -- fan-out latency   some of them
 *   npm run bench -- --repeat 5 --quick --out results.json
 *
 * `--quick` runs smaller versions, to check that the bench works. The
 * results are also written as JSON (`bench/results/<time>.json` unless
 * `--out` names a file), so that runs can be compared.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printResults } from './lib/report.mjs';
import { SCENARIOS } from './scenarios/index.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    repeat: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const repeat = Number(values.repeat);
if (!Number.isInteger(repeat) || repeat < 1) {
  throw new Error(
    `--repeat must be a whole number from 1, not ${values.repeat}`,
  );
}
const unknown = positionals.filter(
  (name) => !SCENARIOS.some((scenario) => scenario.name === name),
);
if (unknown.length > 0) {
  console.error(
    `Unknown scenario ${unknown.join(', ')}; the scenarios are: ` +
      SCENARIOS.map((scenario) => scenario.name).join(', '),
  );
  process.exit(2);
}
const chosen =
  positionals.length === 0
    ? SCENARIOS
    : SCENARIOS.filter((scenario) => positionals.includes(scenario.name));

const log = (line) => process.stderr.write(`${line}\n`);
const results = [];
for (const scenario of chosen) {
  log(`${scenario.name}: ${scenario.summary}`);
  const started = performance.now();
  try {
    const result = await scenario.run({ repeat, quick: values.quick, log });
    results.push({ scenario: scenario.name, ...result });
  } catch (error) {
    log(`${scenario.name} failed: ${error.stack ?? error}`);
    const firstLine = String(error.message).split('\n')[0];
    results.push({ scenario: scenario.name, error: firstLine });
  }
  log(
    `${scenario.name}: ${((performance.now() - started) / 1_000).toFixed(0)} s`,
  );
}

printResults(results, { repeat });
const out =
  values.out ??
  join(
    dirname(fileURLToPath(import.meta.url)),
    'results',
    `${new Date().toISOString().replaceAll(':', '-')}.json`,
  );
await mkdir(dirname(out), { recursive: true });
await writeFile(
  out,
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        node: process.version,
      },
      repeat,
      quick: values.quick,
      results,
    },
    null,
    2,
  )}\n`,
);
log(`Results written to ${out}`);
process.exitCode = results.some((result) => result.error !== undefined) ? 1 : 0;
