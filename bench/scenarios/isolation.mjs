/**
 * Isolation cost: the fan-out under the bwrap runner, against `xargs -P2`
 * running the same bwrap command line around the same no-op command.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  systemView,
  taskOptions,
} from '../../services/sandbox/dist/runners/bwrap-args.js';
import { WORKSPACE_TMP_DIR } from '../../services/sandbox/dist/workspace.js';
import { row } from '../lib/side-by-side.mjs';
import { measureFanOut } from './fan-out.mjs';

/** The bwrap command line a task of `workspace` runs under, no-op inside. */
async function bwrapCommand(workspace) {
  const options = taskOptions({
    workspace,
    cwd: '',
    env: { PATH: '/usr/bin:/bin', HOME: '/workspace' },
    network: false,
    shmBytes: 64 * 1024 * 1024,
    system: await systemView([]),
  });
  return ['bwrap', ...options, '--', 'sh', '-c', 'true'];
}

export default {
  name: 'isolation',
  summary: 'the fan-out under bwrap, against xargs -P2 running bwrap',
  async run({ repeat, quick, log }) {
    const tasks = quick ? 500 : 10_000;
    const workspace = await mkdtemp(join(tmpdir(), 'river-bench-bwrap-'));
    // A task's /tmp is a directory of its workspace, as a sandbox makes it.
    await mkdir(join(workspace, WORKSPACE_TMP_DIR));
    try {
      const { medians } = await measureFanOut({
        tasks,
        repeat,
        log,
        runner: 'bwrap',
        baselineCommand: await bwrapCommand(workspace),
        withBull: false,
      });
      const ratio =
        medians.River.tasksPerSecond / medians['xargs -P2'].tasksPerSecond;
      return {
        rows: [
          row('bwrap: tasks per second', medians, 'tasksPerSecond'),
          row('bwrap: CPU ms per task', medians, 'cpuMsPerTask'),
        ],
        targets: [
          { target: 'rate ≥ 0.8 × xargs -P2 bwrap', ratio, met: ratio >= 0.8 },
        ],
        detail: { tasks },
      };
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  },
};
