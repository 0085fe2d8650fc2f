import { stat } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { river, runIdOf, spawnRiver } from '../helpers/river.js';
import {
  api,
  launchBrowser,
  saveScreenshot,
  seriousAxeFindings,
  startUiStack,
  type UiStack,
} from '../helpers/ui-stack.js';

const BIG_LOG_BYTES = 49_661_452;
const NEEDLE_HITS = '1,200 matches on 1,000 lines';
const GREEN = 'rgb(152, 195, 121)';

let ui: UiStack;
let browser: Browser;
let page: Page;
let bigRun: string;
let bigTask: string;

/** The id of the task of job `job` in run `runId`, once it exists. */
async function taskOf(runId: string, job: string): Promise<string> {
  for (let tries = 0; tries < 200; tries++) {
    const response = await api(ui, 'viewer', `api/runs/${runId}`);
    if (response.ok) {
      const body = (await response.json()) as {
        run: { tasks: Record<string, { taskId: string; job: string }> };
      };
      const task = Object.values(body.run.tasks).find(
        (each) => each.job === job,
      );
      if (task) return task.taskId;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`No task of job ${job} in run ${runId}`);
}

function logPath(runId: string, taskId: string): string {
  return `runs/${runId}/tasks/${taskId}/log`;
}

/** Waits until `line` shows in the viewport, loaded and selected. */
async function waitForLine(line: number): Promise<void> {
  await page
    .locator(`.log-row-selected[data-line="${line}"]:not(.log-row-loading)`)
    .waitFor();
  await page.waitForFunction(
    ({ line, scroller }) => {
      const row = scroller.querySelector(`.log-row[data-line="${line}"]`);
      const box = row?.getBoundingClientRect();
      const view = scroller.getBoundingClientRect();
      return box && box.top >= view.top && box.bottom <= view.bottom;
    },
    { line, scroller: await page.$('.log-scroller') },
    { polling: 'raf' },
  );
}

/** Puts the mouse over the middle of the log's rows. */
async function pointAtLog(): Promise<void> {
  const box = await page.locator('.log-scroller').boundingBox();
  if (!box) throw new Error('The log is not on the page');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
}

/** The number of the last loaded row wholly in view. */
function lastVisibleLine(): Promise<number> {
  return page.$eval('.log-scroller', (scroller) => {
    const view = scroller.getBoundingClientRect();
    let last = 0;
    for (const row of scroller.querySelectorAll(
      '.log-row:not(.log-row-loading)',
    )) {
      const box = row.getBoundingClientRect();
      if (box.top >= view.top && box.bottom <= view.bottom + 1) {
        last = Math.max(last, Number(row.dataset.line));
      }
    }
    return last;
  });
}

/** The 95th percentile of frame times while `scroll` runs. */
async function frameTimeWhile(scroll: () => Promise<void>): Promise<number> {
  const recorder = await page.evaluateHandle(() => {
    const view = globalThis as unknown as {
      requestAnimationFrame: (callback: (now: number) => void) => void;
    };
    const state = { frames: [] as number[], recording: true };
    let last = performance.now();
    const loop = (now: number) => {
      state.frames.push(now - last);
      last = now;
      if (state.recording) view.requestAnimationFrame(loop);
    };
    view.requestAnimationFrame(loop);
    return state;
  });
  await scroll();
  const frames = await recorder.evaluate((state) => {
    state.recording = false;
    return state.frames.slice(1).sort((a, b) => a - b);
  });
  return frames[Math.floor(frames.length * 0.95)] ?? Number.POSITIVE_INFINITY;
}

function hashOf(page: Page): string {
  return new URL(page.url()).hash;
}

beforeAll(async () => {
  ui = await startUiStack({ RIVER_MAX_OUTPUT_BYTES: '100000000' });
  const result = await river(
    ['run', 'tests/fixtures/ui-logs-big.ts'],
    ui.stack.natsUrl,
  );
  expect(result.code, result.stderr).toBe(0);
  bigRun = runIdOf(result.stdout);
  bigTask = await taskOf(bigRun, 'big');
  // The collector indexes a fast log a few seconds behind the task: the
  // viewer is measured on the stored log, as a user opens it later.
  for (let waited = 0; ; waited += 250) {
    const tail = await api(
      ui,
      'viewer',
      `api/${logPath(bigRun, bigTask)}?tail=1`,
    );
    if (((await tail.json()) as { complete: boolean }).complete) break;
    if (waited > 60_000) throw new Error('The big log was not indexed in 60 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  browser = await launchBrowser();
  // axe-core is injected, which the UI's content security policy refuses.
  page = await browser.newPage({
    viewport: { width: 1280, height: 800 },
    bypassCSP: true,
  });
  page.setDefaultTimeout(15_000);
  // The session cookie, set in the browser's context without the UI's
  // sign-in (its #token= hash would take the place of the line link).
  const signIn = await page.request.post(`${ui.url}api/session`, {
    data: { token: ui.viewerToken },
  });
  expect(signIn.ok()).toBe(true);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
});

describe('the log viewer', () => {
  it('opens a 50 MB log at line 500,000 from a link in under a second', async () => {
    const times: number[] = [];
    for (let round = 0; round < 3; round++) {
      await page.goto('about:blank');
      const started = Date.now();
      await page.goto(`${ui.url}${logPath(bigRun, bigTask)}#L500000`);
      await waitForLine(500_000);
      times.push(Date.now() - started);
    }
    times.sort((a, b) => a - b);
    process.stdout.write(`log opened at line 500,000 in ${times} ms\n`);
    expect(times[1], `open times ${times}`).toBeLessThan(1_000);
    await expect(page.textContent('.log-status')).resolves.toContain(
      '1,000,000 lines',
    );
  });

  it('scrolls with frames under 20 ms at the 95th percentile', async () => {
    await page.focus('.log-scroller');
    await pointAtLog();
    const p95 = await frameTimeWhile(async () => {
      for (let step = 0; step < 120; step++) {
        await page.mouse.wheel(0, step < 80 ? 240 : -240);
      }
    });
    process.stdout.write(`log scroll frame time p95 ${p95} ms\n`);
    expect(p95).toBeLessThan(20);
  });

  it('counts the server’s search hits exactly and steps through them', async () => {
    await page.goto(`${ui.url}${logPath(bigRun, bigTask)}#L1`);
    await page.fill('input[type=search]', 'needle');
    await page.press('input[type=search]', 'Enter');
    await expect
      .poll(() => page.textContent('.log-search-result'))
      .toContain(NEEDLE_HITS);
    await page.click('button[aria-label="Next matching line"]');
    await page.click('button[aria-label="Next matching line"]');
    await page.waitForSelector('.log-row-current[data-line="2000"] mark');
  });

  it('shows terminal colours and collapses progress lines', async () => {
    await page.goto(`${ui.url}${logPath(bigRun, bigTask)}#L97`);
    await waitForLine(97);
    const progress = await page.textContent(
      '.log-row[data-line="97"] .log-line-text',
    );
    expect(progress).toBe('progress 100% at line 97');
    const pass = page.locator('.log-row[data-line="91"] .log-line-text span', {
      hasText: 'PASS',
    });
    await expect
      .poll(() =>
        pass.evaluate(
          (span) => span.ownerDocument.defaultView.getComputedStyle(span).color,
        ),
      )
      .toBe(GREEN);
    const visible = await page.textContent('.log-row[data-line="91"]');
    expect(visible).not.toContain('\x1b');
  });

  it('selects lines from the gutter, shift-click for a range', async () => {
    await page.click('.log-row[data-line="90"] .log-number');
    await page.click('.log-row[data-line="94"] .log-number', {
      modifiers: ['Shift'],
    });
    expect(hashOf(page)).toBe('#L90-L94');
    const selected = await page.$$eval('.log-row-selected', (rows) =>
      rows.map((row) => row.dataset.line),
    );
    expect(selected).toEqual(['90', '91', '92', '93', '94']);
  });

  it('downloads the raw log whole', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('text=Download raw log'),
    ]);
    const file = await download.path();
    expect((await stat(file)).size).toBe(BIG_LOG_BYTES);
  });

  it('passes an axe-core scan and is pictured in the docs', async () => {
    await page.goto(`${ui.url}${logPath(bigRun, bigTask)}`);
    await page.fill('input[type=search]', 'needle');
    await page.press('input[type=search]', 'Enter');
    await page.goto(`${ui.url}${logPath(bigRun, bigTask)}#L4996-L5000`);
    await waitForLine(5_000);
    const violations = await seriousAxeFindings(page);
    expect(violations).toEqual([]);
    await saveScreenshot(page, 'log');
  });

  it('follows a fast log to its end and pauses when scrolled up', async () => {
    const fast = spawnRiver(
      ['run', 'tests/fixtures/ui-logs-fast.ts'],
      ui.stack.natsUrl,
    );
    try {
      const runId = await fast.runId;
      const taskId = await taskOf(runId, 'fast');
      await page.goto(`${ui.url}${logPath(runId, taskId)}`);
      await page.waitForSelector('.log-row:not(.log-row-loading)');
      const lags: number[] = [];
      for (let sample = 0; sample < 5; sample++) {
        await page.waitForTimeout(300);
        const shown = await lastVisibleLine();
        const tail = await api(
          ui,
          'viewer',
          `api/${logPath(runId, taskId)}?tail=1`,
        );
        const { totalLines } = (await tail.json()) as { totalLines: number };
        lags.push(totalLines - shown);
      }
      // 25,000 lines a second: half a second behind at most.
      expect(Math.min(...lags), `lags ${lags}`).toBeLessThan(12_500);

      await pointAtLog();
      await page.mouse.wheel(0, -800);
      await page.waitForSelector('.log-resume');
      // The wheel scrolls smoothly for a moment: let it come to rest.
      let pausedAt = await lastVisibleLine();
      for (;;) {
        await page.waitForTimeout(150);
        const now = await lastVisibleLine();
        if (now === pausedAt) break;
        pausedAt = now;
      }
      await page.waitForTimeout(600);
      expect(await lastVisibleLine()).toBe(pausedAt);

      await page.click('.log-resume');
      expect(await fast.exited).toBe(0);
      await expect
        .poll(() => page.textContent('.log-status'), { timeout: 10_000 })
        .toContain('complete');
      await expect.poll(() => lastVisibleLine()).toBe(200_000);
    } finally {
      fast.kill();
    }
  });
});
