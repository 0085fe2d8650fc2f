// Measures the job graph in a real browser: builds the demo page
// (packages/ui/graph-demo.html), serves it on 127.0.0.1 and drives Chromium.
// Prints JSON: time from navigation to the graph drawn (median of 5), the
// longest main-thread task, frame intervals while panning, axe findings.
//
//   node bench/ui/graph.mjs [--shape random|mixed|chains|fanout]...
import { createReadStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { launchChromium } from './browser.mjs';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const OUT = join(ROOT, 'bench/.scratch/graph-demo');
const LOADS = 5;
const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
};

const shapes = process.argv.flatMap((arg, index, all) =>
  all[index - 1] === '--shape' ? [arg] : [],
);

await mkdir(OUT, { recursive: true });
await build({
  root: join(ROOT, 'packages/ui'),
  configFile: join(ROOT, 'packages/ui/vite.config.ts'),
  logLevel: 'warn',
  build: {
    outDir: OUT,
    emptyOutDir: true,
    rollupOptions: { input: join(ROOT, 'packages/ui/graph-demo.html') },
  },
});

const server = createServer((request, response) => {
  const path = join(OUT, new URL(request.url, 'http://x').pathname);
  if (!path.startsWith(OUT) || !existsSync(path)) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? '' });
  createReadStream(path).pipe(response);
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const base = `http://127.0.0.1:${server.address().port}/graph-demo.html`;

const browser = await launchChromium();
const axeSource = createRequire(import.meta.url).resolve('axe-core');

try {
  const results = {};
  for (const shape of shapes.length ? shapes : ['random', 'mixed']) {
    results[shape] = await measure(shape);
  }
  console.log(JSON.stringify(results, null, 2));
} finally {
  await browser.close();
  server.close();
}

async function measure(shape) {
  const loads = [];
  let page;
  for (let load = 0; load < LOADS; load++) {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
    });
    page = await context.newPage();
    await page.addInitScript(() => {
      window.longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          window.longTasks.push(Math.round(entry.duration));
        }
      }).observe({ type: 'longtask', buffered: true });
      // Frames that took over 50 ms, rendering included (Chromium 123+).
      window.slowFrames = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          window.slowFrames.push(Math.round(entry.duration));
          window.slowFrameParts ??= [];
          window.slowFrameParts.push({
            duration: Math.round(entry.duration),
            beforeRender: Math.round(
              (entry.renderStart || entry.startTime + entry.duration) -
                entry.startTime,
            ),
            styleAndLayout: Math.round(
              entry.renderStart
                ? entry.startTime + entry.duration - entry.styleAndLayoutStart
                : 0,
            ),
            scripts: entry.scripts.map(
              (script) => `${script.invoker}:${Math.round(script.duration)}`,
            ),
          });
        }
      }).observe({ type: 'long-animation-frame', buffered: true });
    });
    await page.goto(`${base}?shape=${shape}`);
    await page.waitForSelector('.job-graph[data-ready] .job-graph-node');
    await page.waitForFunction(() => window.graphDemo);
    loads.push(
      await page.evaluate(async () => {
        await new Promise((done) =>
          requestAnimationFrame(() => requestAnimationFrame(done)),
        );
        return {
          drawnMs: Math.round(performance.now()),
          layoutMs: Math.round(window.graphDemo.layoutMs),
          firstRenderMs: Math.round(window.graphDemo.firstRenderMs),
          nodes: window.graphDemo.nodes,
          drawnNodes: document.querySelectorAll('.job-graph-node').length,
          longTasks: [...window.longTasks],
        };
      }),
    );
    if (load < LOADS - 1) await context.close();
  }

  const drawn = loads.map((load) => load.drawnMs).sort((a, b) => a - b);
  const panAtReadableZoom = await pan(page);
  const fit = await timed(page, () => page.click('text=Fit'));
  const nodesAtFit = await page.$$eval('.job-graph-node', (n) => n.length);
  const panAtFit = await pan(page);
  const zoom = await timed(page, async () => {
    await page.mouse.move(640, 450);
    for (let step = 0; step < 10; step++) await page.mouse.wheel(0, -120);
  });
  const failedOnly = await timed(page, () => page.click('text=Failed only'));
  const axe = await axeFindings(page);
  await page.context().close();

  return {
    nodes: loads[0].nodes,
    layoutMsInWorker: loads.map((load) => load.layoutMs),
    firstRenderMs: loads.map((load) => load.firstRenderMs),
    drawnMs: drawn,
    drawnMedianMs: drawn[Math.floor(drawn.length / 2)],
    nodesDrawnFirst: loads[0].drawnNodes,
    longestTaskDuringLoadMs: Math.max(0, ...loads.flatMap((l) => l.longTasks)),
    panAtReadableZoom,
    fit,
    nodesDrawnAtFit: nodesAtFit,
    panAtFit,
    wheelZoom: zoom,
    failedOnly,
    axe,
  };
}

/** Drags across the graph; frame intervals and long tasks meanwhile. */
async function pan(page) {
  await page.evaluate(() => {
    window.frames = [];
    let last = performance.now();
    const tick = (now) => {
      window.frames.push(now - last);
      last = now;
      if (window.frames.length < 10_000)
        window.frameLoop = requestAnimationFrame(tick);
    };
    window.frameLoop = requestAnimationFrame(tick);
    window.longTasks = [];
    window.slowFrames = [];
    window.slowFrameParts = [];
  });
  await page.mouse.move(1000, 500);
  await page.mouse.down();
  for (let step = 1; step <= 120; step++) {
    await page.mouse.move(1000 - step * 20, 500 - (step % 40) * 5);
  }
  await page.mouse.up();
  const { frames, longTasks, slowFrames, parts } = await page.evaluate(() => {
    cancelAnimationFrame(window.frameLoop);
    return {
      frames: window.frames.slice(1),
      longTasks: window.longTasks,
      slowFrames: window.slowFrames,
      parts: window.slowFrameParts
        ?.sort((a, b) => b.duration - a.duration)
        .slice(0, 3),
    };
  });
  const sorted = frames.sort((a, b) => a - b);
  const at = (share) =>
    Math.round(sorted[Math.floor(share * (sorted.length - 1))]);
  return {
    frames: frames.length,
    frameP50Ms: at(0.5),
    frameP95Ms: at(0.95),
    frameMaxMs: Math.round(sorted.at(-1)),
    longestTaskMs: Math.max(0, ...longTasks),
    framesOver50Ms: slowFrames.length,
    longestFrameMs: Math.max(0, ...slowFrames),
    slowestFrames: parts,
  };
}

/** The time until two frames after an action, and its longest task. */
async function timed(page, action) {
  await page.evaluate(() => {
    window.longTasks = [];
    window.actionStart = performance.now();
  });
  await action();
  return page.evaluate(async () => {
    await new Promise((done) =>
      requestAnimationFrame(() => requestAnimationFrame(done)),
    );
    return {
      ms: Math.round(performance.now() - window.actionStart),
      longestTaskMs: Math.max(0, ...window.longTasks),
    };
  });
}

async function axeFindings(page) {
  await page.addScriptTag({ path: axeSource });
  return page.evaluate(async () => {
    const result = await window.axe.run(document);
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      nodes: violation.nodes.length,
      example: violation.nodes[0]?.html.slice(0, 160),
    }));
  });
}
