/**
 * Measures the web UI's log viewer in a real browser against a generated
 * 1,000,000-line log (about 50 MB) served from memory:
 *
 *   node bench/ui/log-viewer.mjs [--lines 1000000] [--shot out.png]
 *
 * Reports the time to open at line 500,000 from a link (median of 5),
 * frame times while scrolling (wheel, steady, scrollbar jumps), the
 * search's time and whether following keeps up with a fast log. Builds
 * the development page (log-demo.html) into a temporary directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'vite';
import { launchChromium } from './browser.mjs';
import { startFakeLogServer } from './fake-log-server.mjs';
import { generateLog } from './generated-log.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const UI = join(ROOT, 'packages', 'ui');
const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    shot: { type: 'string' },
  },
});

const out = await mkdtemp(join(tmpdir(), 'log-viewer-bench-'));
const logs = new Map();
let browser;
let server;
let grower;
try {
  await build({
    root: UI,
    configFile: join(UI, 'vite.config.ts'),
    logLevel: 'warn',
    build: {
      outDir: out,
      emptyOutDir: true,
      sourcemap: false,
      rollupOptions: { input: join(UI, 'log-demo.html') },
    },
  });
  const started = performance.now();
  const big = generateLog(Number(values.lines));
  logs.set('demo-run/big', { lines: big.lines, complete: true });
  logs.set('demo-run/growing', { lines: [], complete: false });
  console.error(
    `generated ${big.lines.length} lines, ${(big.bytes / 1e6).toFixed(1)} MB in ${Math.round(performance.now() - started)} ms`,
  );
  server = await startFakeLogServer(out, logs);
  browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
  });
  const page = await context.newPage();
  const bigUrl = `${server.url}/log-demo.html?run=demo-run&task=big`;

  // Opening at line 500,000 from a link.
  const openTimes = [];
  for (let round = 0; round < 5; round++) {
    const wall = performance.now();
    await page.goto('about:blank');
    await page.goto(`${bigUrl}#L500000`);
    const inPage = await page.waitForFunction(lineShown, 500_000, {
      polling: 'raf',
    });
    openTimes.push({
      wallMs: performance.now() - wall,
      sinceNavigationMs: await inPage.jsonValue(),
    });
  }
  report('open at line 500,000 (since navigation start)', {
    medianMs: median(openTimes.map((time) => time.sinceNavigationMs)),
    all: openTimes.map((time) => Math.round(time.sinceNavigationMs)),
    wallMedianMs: median(openTimes.map((time) => time.wallMs)),
  });

  // Frame times while scrolling.
  const requests = { started: 0, failed: 0 };
  page.on('request', (request) => {
    if (request.url().includes('/log?')) requests.started++;
  });
  page.on('requestfailed', (request) => {
    if (request.url().includes('/log?')) requests.failed++;
  });
  await page.focus('.log-scroller');
  await page.mouse.move(640, 500);
  await startFrames(page);
  for (let step = 0; step < 150; step++) {
    await page.mouse.wheel(0, step < 100 ? 240 : -240);
  }
  report('wheel scrolling (150 wheel events)', await stopFrames(page));
  report(
    'steady scroll, 400 px a frame for 240 frames',
    await page.evaluate(scrollFrames, { mode: 'steady', count: 240 }),
  );
  report(
    'scrollbar jumps to random places, 120 frames',
    await page.evaluate(scrollFrames, { mode: 'jump', count: 120 }),
  );
  report('log requests during the scrolls', requests);
  await page.waitForFunction(() => !document.querySelector('.log-row-loading'));

  // Search.
  const searches = [];
  for (const query of ['needle', 'worker-3']) {
    await page.fill('input[type=search]', query);
    const before = performance.now();
    await page.press('input[type=search]', 'Enter');
    await page.waitForFunction(() =>
      /matches? on/.test(
        document.querySelector('.log-search-result')?.textContent ?? '',
      ),
    );
    searches.push({
      query,
      ms: Math.round(performance.now() - before),
      shown: await page.textContent('.log-search-result'),
    });
  }
  report('search (server in this script, naive scan)', searches);
  await page.click('button[aria-label="Next matching line"]');
  await page.waitForTimeout(300);

  const axe = await runAxe(page);
  report('axe-core violations', axe);
  if (values.shot) {
    await page.fill('input[type=search]', 'needle');
    await page.press('input[type=search]', 'Enter');
    await page.waitForTimeout(500);
    await page.goto(`${bigUrl}#L500000-L500004`);
    await page.waitForFunction(lineShown, 500_000, { polling: 'raf' });
    await page.screenshot({ path: values.shot });
  }

  // Following a fast log: 500 lines every 50 ms.
  const growing = logs.get('demo-run/growing');
  let counter = 0;
  grower = setInterval(() => {
    for (let index = 0; index < 500; index++) {
      counter++;
      growing.lines.push(`\x1b[36mfast\x1b[0m line ${counter} of a busy task`);
    }
  }, 50);
  await page.goto(`${server.url}/log-demo.html?run=demo-run&task=growing`);
  const lags = [];
  for (let sample = 0; sample < 10; sample++) {
    await page.waitForTimeout(400);
    const last = await page.evaluate(lastVisibleLine);
    lags.push(growing.lines.length - last);
  }
  await page.mouse.move(640, 500);
  await page.mouse.wheel(0, -600);
  await page.waitForSelector('.log-resume', { timeout: 2_000 });
  const pausedAt = await page.evaluate(lastVisibleLine);
  await page.waitForTimeout(1_000);
  const stillAt = await page.evaluate(lastVisibleLine);
  await page.click('.log-resume');
  await page.waitForTimeout(600);
  const resumedLag =
    growing.lines.length - (await page.evaluate(lastVisibleLine));
  clearInterval(grower);
  growing.complete = true;
  await page.waitForFunction(() =>
    /complete/.test(document.querySelector('.log-status')?.textContent ?? ''),
  );
  report('follow a log growing by 10,000 lines a second', {
    linesBehindEnd: lags,
    pausedOnScrollUp: pausedAt === stillAt,
    linesBehindAfterResume: resumedLag,
    totalLines: growing.lines.length,
  });
} finally {
  clearInterval(grower);
  await browser?.close();
  await server?.close();
  await rm(out, { recursive: true, force: true });
}

function report(title, figures) {
  console.log(`${title}: ${JSON.stringify(figures, rounded)}`);
}

function rounded(_key, value) {
  return typeof value === 'number' ? Math.round(value * 10) / 10 : value;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** In the page: the time since navigation once `line` shows, loaded and selected. */
function lineShown(line) {
  const row = document.querySelector(`.log-row[data-line="${line}"]`);
  const scroller = document.querySelector('.log-scroller');
  if (!row || !scroller || row.classList.contains('log-row-loading')) {
    return false;
  }
  if (!row.classList.contains('log-row-selected')) {
    return false;
  }
  const box = row.getBoundingClientRect();
  const view = scroller.getBoundingClientRect();
  if (box.top < view.top || box.bottom > view.bottom) {
    return false;
  }
  return performance.now();
}

/** In the page: the number of the last row wholly in view. */
function lastVisibleLine() {
  const view = document.querySelector('.log-scroller').getBoundingClientRect();
  let last = 0;
  for (const row of document.querySelectorAll(
    '.log-row:not(.log-row-loading)',
  )) {
    const box = row.getBoundingClientRect();
    if (box.bottom <= view.bottom + 1 && box.top >= view.top) {
      last = Math.max(last, Number(row.dataset.line));
    }
  }
  return last;
}

function startFrames(page) {
  return page.evaluate(() => {
    window.benchFrames = [];
    window.benchRecording = true;
    let last = performance.now();
    const loop = (now) => {
      window.benchFrames.push(now - last);
      last = now;
      if (window.benchRecording) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
}

async function stopFrames(page) {
  const frames = await page.evaluate(() => {
    window.benchRecording = false;
    return window.benchFrames.slice(1);
  });
  return frameStats(frames);
}

function frameStats(frames) {
  const sorted = [...frames].sort((a, b) => a - b);
  const at = (share) =>
    sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))];
  return {
    frames: frames.length,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    maxMs: sorted.at(-1),
  };
}

/**
 * In the page: scroll each frame, 400 px (`steady`) or to a random place
 * as a scrollbar drag does (`jump`), recording frame times.
 */
function scrollFrames({ mode, count }) {
  const move = (scroller) => {
    if (mode === 'steady') scroller.scrollTop += 400;
    else scroller.scrollTop = Math.random() * scroller.scrollHeight;
  };
  const scroller = document.querySelector('.log-scroller');
  return new Promise((resolve) => {
    const frames = [];
    let last = performance.now();
    const loop = (now) => {
      frames.push(now - last);
      last = now;
      if (frames.length > count) {
        const sorted = frames.slice(1).sort((a, b) => a - b);
        const at = (share) =>
          sorted[
            Math.min(sorted.length - 1, Math.floor(sorted.length * share))
          ];
        resolve({
          frames: sorted.length,
          p50Ms: at(0.5),
          p95Ms: at(0.95),
          maxMs: sorted.at(-1),
        });
        return;
      }
      move(scroller);
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
}

async function runAxe(page) {
  await page.addScriptTag({
    path: join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'),
  });
  return page.evaluate(async () => {
    const result = await window.axe.run(document.querySelector('.log-viewer'));
    return result.violations.map((violation) => ({
      id: violation.id,
      nodes: violation.nodes.length,
      sample: violation.nodes[0]?.html.slice(0, 120),
      why: violation.nodes[0]?.failureSummary?.slice(0, 200),
    }));
  });
}
