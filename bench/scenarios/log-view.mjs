/**
 * Log view: what the web UI asks of a 50 MB log (1,000,000 lines) stored
 * by a task: 200 lines from line 500,000, the last 200 lines, and the
 * exact count of a text's hits. Baselines: the same file on the local
 * disk read by `sed` and `grep` (the machine's limit), and the stored log
 * read whole through the client (what a viewer without a line index
 * would do).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChecked } from '../lib/processes.mjs';
import { BenchStack, checkRun } from '../lib/river-stack.mjs';
import { row, sideBySide } from '../lib/side-by-side.mjs';

const PIPELINE = fileURLToPath(
  new URL('../pipelines/logs.ts', import.meta.url),
);
const LINE = 500_000;
const COUNT = 200;
const NEEDLE = 'needle';

/**
 * Prints `lines` numbered lines of about 50 bytes; every 997th holds the
 * needle, so that a search has a known count.
 */
function generatorCommand(lines) {
  return (
    `awk 'BEGIN { for (i = 1; i <= ${lines}; i++) ` +
    `printf "%07d \\033[32mok\\033[0m some output of the task %s %s\\n", i, ` +
    `(i % 997 == 0 ? "${NEEDLE}" : "haystack"), "......."; }'`
  );
}

/** Runs a shell command and returns its stdout and the time it took. */
async function timed(command) {
  const started = performance.now();
  const { stdout } = await runChecked('sh', ['-c', command]);
  return { ms: performance.now() - started, stdout };
}

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

export default {
  name: 'log-view',
  summary: 'lines and searches of a 50 MB task log, as the web UI reads it',
  async run({ repeat, quick, log }) {
    const lines = quick ? 200_000 : 1_000_000;
    const line = Math.min(LINE, lines / 2);
    const hits = Math.floor(lines / 997);
    const command = generatorCommand(lines);
    const dir = await mkdtemp(join(tmpdir(), 'river-bench-log-view-'));
    const file = join(dir, 'task.log');
    await runChecked('sh', ['-c', `${command} > ${file}`]);
    const stack = await BenchStack.start({ sandboxes: 1, slots: 1 });
    try {
      const result = await stack.runProject(PIPELINE, { command });
      checkRun(result, 1);
      const { runId } = result;
      const taskId = 'print-1';
      const expected = (
        await timed(`sed -n '${line},${line + COUNT - 1}p' ${file}`)
      ).stdout.split('\n');
      const { client } = stack;
      // The collector indexes a fast log a few seconds behind the task;
      // what is measured here is the indexed log a viewer opens later.
      while (!(await client.logLines(runId, taskId, { tail: 1 })).complete) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const { medians } = await sideBySide(
        repeat,
        {
          River: async () => {
            let started = performance.now();
            const range = await client.logLines(runId, taskId, {
              from: line,
              count: COUNT,
            });
            const rangeMs = performance.now() - started;
            check(
              range.lines.join('\n') === expected.slice(0, COUNT).join('\n'),
              `Lines from ${line} differ from the file's.`,
            );
            started = performance.now();
            const tail = await client.logLines(runId, taskId, { tail: COUNT });
            const tailMs = performance.now() - started;
            check(
              tail.firstLine === lines - COUNT + 1,
              `The last lines start at ${tail.firstLine}.`,
            );
            started = performance.now();
            const found = await client.searchLog(runId, taskId, NEEDLE);
            const searchMs = performance.now() - started;
            check(found.hits === hits, `Search found ${found.hits} hits.`);
            return { rangeMs, tailMs, searchMs };
          },
          'sed and grep on a local file': async () => {
            const range = await timed(
              `sed -n '${line},${line + COUNT - 1}p;${line + COUNT}q' ${file}`,
            );
            const tail = await timed(`tail -n ${COUNT} ${file}`);
            const search = await timed(`grep -o -i ${NEEDLE} ${file} | wc -l`);
            check(Number(search.stdout) === hits, 'grep found other hits.');
            return { rangeMs: range.ms, tailMs: tail.ms, searchMs: search.ms };
          },
          'whole log through the client': async () => {
            const started = performance.now();
            let bytes = 0;
            for await (const chunk of client.logs(runId, { taskId })) {
              bytes += chunk.data.length;
            }
            const ms = performance.now() - started;
            check(bytes > lines * 40, `Read only ${bytes} bytes.`);
            // Every read needs the whole log before it can show a line.
            return { rangeMs: ms, tailMs: ms, searchMs: ms };
          },
        },
        log,
      );
      const river = medians.River;
      const local = medians['sed and grep on a local file'];
      const whole = medians['whole log through the client'];
      return {
        rows: [
          row(`${COUNT} lines from line ${line}: ms`, medians, 'rangeMs'),
          row(`last ${COUNT} lines: ms`, medians, 'tailMs'),
          row(`exact count of ${hits} hits: ms`, medians, 'searchMs'),
        ],
        targets: [
          {
            target: `lines from ${line} ≤ 2 × sed on a local file`,
            ratio: river.rangeMs / local.rangeMs,
            met: river.rangeMs <= 2 * local.rangeMs,
          },
          {
            target: 'search ≤ 10 × grep on a local file',
            ratio: river.searchMs / local.searchMs,
            met: river.searchMs <= 10 * local.searchMs,
          },
          {
            target: 'lines ≤ 0.05 × reading the whole log',
            ratio: river.rangeMs / whole.rangeMs,
            met: river.rangeMs <= 0.05 * whole.rangeMs,
          },
        ],
        detail: { lines, hits, line },
      };
    } finally {
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
