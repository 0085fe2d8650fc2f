/**
 * Live status rendering cost: feeds the synthetic events of a run of
 * 1,000 tasks (10 jobs of 100, every 25th failing after a retry) to the
 * terminal renderer and prints events per second and CPU time:
 *
 * - `frame per event`: the tree drawn after every event, unthrottled, the
 *   worst case;
 * - `live, burst`: the live display (log-update on a fake 120×40
 *   terminal) given every event at once, redrawing at most every 100 ms;
 * - `live, paced`: the same events spread over `--seconds`, as a busy run
 *   sends them, counting the redraws per second.
 *
 *   npm run build && node bench/render.mjs [--json]
 */
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { renderFrame } from '../packages/cli/dist/render/frame.js';
import { LiveStatus } from '../packages/cli/dist/render/live-status.js';
import { RunView } from '../packages/cli/dist/render/run-view.js';
import { syntheticRun } from '../packages/cli/dist/render/synthetic-run.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '10' },
    tasks: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const { events } = syntheticRun(Number(values.jobs), Number(values.tasks), 25);
const SIZE = { width: 120, height: 40 };

/** A terminal that counts what it is sent. */
function fakeTerminal() {
  const counts = { writes: 0, bytes: 0 };
  const out = new Writable({
    write(chunk, _encoding, done) {
      counts.writes += 1;
      counts.bytes += chunk.length;
      done();
    },
  });
  Object.assign(out, { isTTY: true, columns: SIZE.width, rows: SIZE.height });
  return { out, counts };
}

/** Runs `work` and returns its wall and CPU time in milliseconds. */
async function measure(work) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const extra = await work();
  const used = process.cpuUsage(cpu);
  return {
    wallMs: performance.now() - start,
    cpuMs: (used.user + used.system) / 1_000,
    ...extra,
  };
}

const perEvent = await measure(() => {
  const view = new RunView();
  let chars = 0;
  for (const event of events) {
    view.apply(event);
    chars += renderFrame(view, { ...SIZE, now: event.at }).length;
  }
  return { frames: events.length, chars };
});

const burst = await measure(() => {
  const { out, counts } = fakeTerminal();
  const live = new LiveStatus(out);
  for (const event of events) {
    live.event({ ...event, seq: 0 });
  }
  live.finish();
  return { writes: counts.writes, bytes: counts.bytes };
});

const seconds = Number(values.seconds);
const paced = await measure(async () => {
  const { out, counts } = fakeTerminal();
  const live = new LiveStatus(out);
  const batch = Math.ceil(events.length / (seconds * 100));
  for (let index = 0; index < events.length; index += batch) {
    for (const event of events.slice(index, index + batch)) {
      live.event({ ...event, seq: 0 });
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  live.finish();
  return { writes: counts.writes, bytes: counts.bytes };
});

const rows = [
  {
    case: 'frame per event',
    events: events.length,
    eventsPerSecond: Math.round(events.length / (perEvent.wallMs / 1_000)),
    cpuMs: Math.round(perEvent.cpuMs),
    msPerFrame: (perEvent.wallMs / perEvent.frames).toFixed(3),
  },
  {
    case: 'live, burst',
    events: events.length,
    eventsPerSecond: Math.round(events.length / (burst.wallMs / 1_000)),
    cpuMs: Math.round(burst.cpuMs),
    writes: burst.writes,
  },
  {
    case: `live, paced over ${seconds} s`,
    events: events.length,
    cpuMs: Math.round(paced.cpuMs),
    cpuPercent: Math.round((paced.cpuMs / paced.wallMs) * 100),
    writes: paced.writes,
    writesPerSecond: (paced.writes / (paced.wallMs / 1_000)).toFixed(1),
  },
];
if (values.json) {
  process.stdout.write(`${JSON.stringify(rows)}\n`);
} else {
  console.table(rows);
}
// log-update's cursor handling waits on the process; nothing else is left.
process.exit(0);
