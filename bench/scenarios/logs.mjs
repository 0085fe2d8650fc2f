/**
 * Logs: one task prints 100 MB to stdout in lines of mixed length, against
 * the same command with its output redirected to a file. The stored log
 * must match the file byte for byte.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChecked, watchMemory } from '../lib/processes.mjs';
import { BenchStack, checkRun } from '../lib/river-stack.mjs';
import { row, sideBySide } from '../lib/side-by-side.mjs';

const PIPELINE = fileURLToPath(
  new URL('../pipelines/logs.ts', import.meta.url),
);
const MIB = 1024 * 1024;

/**
 * A shell command printing at least `bytes` bytes in numbered lines of 2
 * to 1,000 bytes, the same every time.
 */
export function generatorCommand(bytes) {
  return (
    `awk -v bytes=${bytes} 'BEGIN { s = sprintf("%1000s", ""); gsub(/ /, "x", s); ` +
    'for (i = 0; total < bytes; i++) { line = i ":" substr(s, 1, (i * 7919) % 997); ' +
    "print line; total += length(line) + 1 } }'"
  );
}

async function fileDigest(path) {
  const hash = createHash('sha256');
  for await (const data of createReadStream(path)) {
    hash.update(data);
  }
  return hash.digest('hex');
}

/** Reads a task's stored stdout back; its size, digest and ingest span. */
async function storedLog(client, runId) {
  const hash = createHash('sha256');
  let size = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for await (const chunk of client.logs(runId, { stream: 'stdout' })) {
    hash.update(chunk.data);
    size += chunk.data.length;
    if (chunk.at !== undefined) {
      first = Math.min(first, chunk.at);
      last = Math.max(last, chunk.at);
    }
  }
  return { size, digest: hash.digest('hex'), spanMs: last - first };
}

export default {
  name: 'logs',
  summary: 'one task prints 100 MB to stdout in lines of mixed length',
  async run({ repeat, quick, log }) {
    const bytes = quick ? 10_000_000 : 100_000_000;
    const command = generatorCommand(bytes);
    const dir = await mkdtemp(join(tmpdir(), 'river-bench-logs-'));
    const expected = join(dir, 'expected.log');
    await runChecked('sh', ['-c', `${command} > ${expected}`]);
    const expectedDigest = await fileDigest(expected);
    const expectedSize = (await stat(expected)).size;
    const stack = await BenchStack.start({ sandboxes: 1, slots: 1 });
    try {
      checkRun(await stack.runProject(PIPELINE, { command: 'echo warm' }), 1);
      const { medians } = await sideBySide(
        repeat,
        {
          River: async () => {
            const sandbox = watchMemory(stack.pidOf('sandbox'));
            const collector = watchMemory(stack.pidOf('log-collector'));
            const result = await stack.runProject(PIPELINE, { command });
            const [sandboxMemory, collectorMemory] = await Promise.all([
              sandbox.stop(),
              collector.stop(),
            ]);
            checkRun(result, 1);
            const stored = await storedLog(stack.client, result.runId);
            if (
              stored.size !== expectedSize ||
              stored.digest !== expectedDigest
            ) {
              throw new Error(
                `The stored log of ${result.runId} has ${stored.size} ` +
                  `bytes (sha256 ${stored.digest}), not ${expectedSize} ` +
                  `(${expectedDigest}).`,
              );
            }
            return {
              wallMs: result.wallMs,
              ingestMbPerSecond: stored.size / MIB / (stored.spanMs / 1_000),
              sandboxGrowthMb: (sandboxMemory.peak - sandboxMemory.start) / MIB,
              collectorGrowthMb:
                (collectorMemory.peak - collectorMemory.start) / MIB,
            };
          },
          'redirect to a file': async () => {
            const out = join(dir, 'out.log');
            const started = performance.now();
            await runChecked('sh', ['-c', `${command} > ${out}`]);
            const wallMs = performance.now() - started;
            if ((await fileDigest(out)) !== expectedDigest) {
              throw new Error('The generator printed something else twice.');
            }
            return {
              wallMs,
              ingestMbPerSecond: expectedSize / MIB / (wallMs / 1_000),
              sandboxGrowthMb: 0,
              collectorGrowthMb: 0,
            };
          },
        },
        log,
      );
      const river = medians.River;
      const ratio = river.wallMs / medians['redirect to a file'].wallMs;
      return {
        rows: [
          row(`${bytes / 1e6} MB: wall ms`, medians, 'wallMs'),
          row('ingest MB/s', medians, 'ingestMbPerSecond'),
          row('sandbox memory growth MB', medians, 'sandboxGrowthMb'),
          row('collector memory growth MB', medians, 'collectorGrowthMb'),
        ],
        targets: [
          {
            target: 'wall ≤ 1.5 × redirect to a file',
            ratio,
            met: ratio <= 1.5,
          },
          {
            target: 'sandbox memory growth < 64 MB',
            ratio: river.sandboxGrowthMb,
            met: river.sandboxGrowthMb < 64,
          },
          {
            target: 'collector memory growth < 64 MB',
            ratio: river.collectorGrowthMb,
            met: river.collectorGrowthMb < 64,
          },
        ],
        detail: { bytes: expectedSize, sha256: expectedDigest },
      };
    } finally {
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
