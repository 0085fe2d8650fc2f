import { type JobContext, job, project, type ShOptions } from '@river/sdk';

// Tasks that try to exhaust the sandbox's host: processes, memory, disk
// and open files. The test reads how each ended from the run's events;
// every task may fail, so that the run itself succeeds.

function attempt(ctx: JobContext, command: string, options: ShOptions = {}) {
  return ctx.sh(command, { check: false, timeoutMs: 60_000, ...options });
}

const forkBomb = job('fork-bomb', (ctx) =>
  attempt(ctx, 'bomb() { bomb | bomb & }; bomb; sleep 60', {
    limits: { processes: 32 },
  }),
);

// Asks for more than the sandbox allows, which caps it.
const greedyForkBomb = job('greedy-fork-bomb', (ctx) =>
  attempt(ctx, 'bomb() { bomb | bomb & }; bomb; sleep 60', {
    limits: { processes: 100_000 },
  }),
);

const memoryHog = job('memory-hog', (ctx) =>
  attempt(
    ctx,
    'node -e "const kept = []; for (;;) kept.push(Buffer.alloc(1 << 20, 1))"',
    { limits: { memoryMb: 64 } },
  ),
);

const diskFiller = job('disk-filler', (ctx) =>
  attempt(
    ctx,
    'i=0; while head -c 4000000 /dev/zero > /tmp/f$i; do i=$((i+1)); done; ' +
      'sleep 60',
    { limits: { diskMb: 16 } },
  ),
);

const bigFile = job('big-file', (ctx) =>
  attempt(ctx, 'dd if=/dev/zero of=big bs=1M count=100; echo "dd: $?"', {
    limits: { diskMb: 16 },
  }),
);

const fileHoarder = job('file-hoarder', (ctx) =>
  attempt(
    ctx,
    "node -e \"const fs = require('fs'); let n = 0; try { for (;;) " +
      "{ fs.openSync('/dev/null', 'r'); n++ } } catch (e) " +
      '{ console.log(n, e.code) }"',
    { limits: { openFiles: 64 } },
  ),
);

const chatterbox = job('chatterbox', (ctx) =>
  attempt(ctx, 'yes river; sleep 60', { limits: { outputBytes: 10_000 } }),
);

const overstay = job('overstay', (ctx) =>
  attempt(ctx, "trap '' TERM; sleep 60", { timeoutMs: 1_000 }),
);

export default project({
  name: 'tasks-limits',
  jobs: [
    forkBomb,
    greedyForkBomb,
    memoryHog,
    diskFiller,
    bigFile,
    fileHoarder,
    chatterbox,
    overstay,
  ],
});
