/**
 * Scale-out: `sleep 0.05` tasks on 1, 2 and 4 sandboxes of 16 slots (up
 * to 64 slots), against the ideal rate of slots / 0.05 s; and no-op tasks
 * on 1, 2 and 4 sandboxes of one slot.
 */
import { fileURLToPath } from 'node:url';
import { BenchStack, checkRun } from '../lib/river-stack.mjs';
import { sideBySide } from '../lib/side-by-side.mjs';

const PIPELINE = fileURLToPath(
  new URL('../pipelines/fan-out.ts', import.meta.url),
);
const SLEEP_SECONDS = 0.05;
const SANDBOXES = [1, 2, 4];

/** Tasks per second of one fan-out of `count` `command` tasks. */
async function measureRate({ sandboxes, slots, count, command, repeat, log }) {
  const stack = await BenchStack.start({ sandboxes, slots });
  try {
    checkRun(await stack.runProject(PIPELINE, { count: '10', command }), 10);
    const { medians } = await sideBySide(
      repeat,
      {
        River: async () => {
          const result = await stack.runProject(PIPELINE, {
            count: String(count),
            command,
          });
          checkRun(result, count);
          return { tasksPerSecond: count / (result.wallMs / 1_000) };
        },
      },
      log,
    );
    return medians.River.tasksPerSecond;
  } finally {
    await stack.stop();
  }
}

export default {
  name: 'scale-out',
  summary: 'sleep 0.05 and no-op tasks on 1, 2 and 4 sandboxes',
  async run({ repeat, quick, log }) {
    const rows = [];
    const targets = [];
    const slotsEach = quick ? 4 : 16;
    for (const sandboxes of SANDBOXES) {
      const slots = sandboxes * slotsEach;
      const ideal = slots / SLEEP_SECONDS;
      log(
        ` ${sandboxes} sandboxes × ${slotsEach} slots, sleep ${SLEEP_SECONDS}`,
      );
      const rate = await measureRate({
        sandboxes,
        slots: slotsEach,
        // About two seconds of work at the ideal rate.
        count: Math.round(ideal * 2),
        command: `sleep ${SLEEP_SECONDS}`,
        repeat,
        log,
      });
      rows.push({
        measure: `sleep: ${slots} slots, tasks/s`,
        values: { River: rate, ideal },
      });
      targets.push({
        target: `sleep on ${slots} slots ≥ 0.9 × ideal`,
        ratio: rate / ideal,
        met: rate >= 0.9 * ideal,
      });
    }
    for (const sandboxes of SANDBOXES) {
      log(` ${sandboxes} sandboxes × 1 slot, no-op`);
      const rate = await measureRate({
        sandboxes,
        slots: 1,
        count: quick ? 200 : 1_000,
        command: 'true',
        repeat,
        log,
      });
      rows.push({
        measure: `no-op: ${sandboxes} sandboxes, tasks/s`,
        values: { River: rate },
      });
    }
    return { rows, targets, detail: { slotsEach } };
  },
};
