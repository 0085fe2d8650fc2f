import { connectRiver, type RiverConnection } from '@river/protocol/internal';
import { RiverClient } from '@river/sdk/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  launchBrowser,
  openSignedIn,
  publishRunEvent,
  saveScreenshot,
  seriousAxeFindings,
  startUiStack,
  type UiStack,
} from '../helpers/ui-stack.js';

/** Runs made of events this test publishes: inert, but listed. */
const PAGING_PROJECT = 'ui-paging';
const PAGING_RUNS = 5;

let ui: UiStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let client: RiverClient;
let raw: RiverConnection;
let helloRunId: string;
let failingRunId: string;

/** Publishes one event of a run, as a controller would. */
async function publishEvent(
  fields: { type: string; runId: string } & Record<string, unknown>,
): Promise<void> {
  await publishRunEvent(raw, fields);
}

/** Submits a project file and waits for its run to end. */
async function runToTheEnd(file: string): Promise<string> {
  const run = await client.submitAndWatch(file);
  for await (const event of run.events) {
    if (event.type === 'run.finished') break;
  }
  return run.runId;
}

function row(runId: string) {
  return page.locator(`tr[data-run-id="${runId}"]`);
}

beforeAll(async () => {
  ui = await startUiStack();
  [browser, client, raw] = await Promise.all([
    launchBrowser(),
    RiverClient.connect({ servers: ui.stack.natsUrl }),
    connectRiver({ servers: ui.stack.natsUrl, name: 'ui-test' }),
  ]);
  context = await browser.newContext({
    // The gateway's CSP refuses inline scripts, and axe is injected as one.
    bypassCSP: true,
    viewport: { width: 1280, height: 860 },
  });
  page = await context.newPage();

  const start = Date.now() - 60_000;
  for (let index = 0; index < PAGING_RUNS; index++) {
    const runId = `ui-paging-${index}`;
    const at = start + index * 1_000;
    await publishEvent({
      type: 'run.submitted',
      runId,
      at,
      file: 'paging.ts',
      bundleDigest: 'none',
    });
    await publishEvent({
      type: 'run.started',
      runId,
      at: at + 10,
      project: PAGING_PROJECT,
      jobs: [],
      controllerId: 'ui-test',
    });
    await publishEvent({
      type: 'run.finished',
      runId,
      at: at + 500,
      status: index % 2 === 0 ? 'succeeded' : 'cancelled',
      durationMs: 490,
    });
  }
  [helloRunId, failingRunId] = await Promise.all([
    runToTheEnd('tests/fixtures/hello.ts'),
    runToTheEnd('tests/fixtures/failing-task.ts'),
  ]);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await client?.close();
  await raw?.nc.close();
  await ui?.stop();
});

describe('the web UI', () => {
  it('lists the runs with the project and status their events tell', async () => {
    await openSignedIn(page, ui, 'operator');
    await row(helloRunId).waitFor();

    expect(page.url()).not.toContain('token=');
    await expect
      .poll(() => page.locator('.app-header').textContent())
      .toMatch(/live[\s\S]*operator/);
    expect(await row(helloRunId).textContent()).toMatch(/hello.*✓.*succeeded/);
    expect(await row(failingRunId).textContent()).toMatch(/failing.*✕.*failed/);
    expect(await row('ui-paging-1').textContent()).toMatch(/cancelled/);

    await saveScreenshot(page, 'runs');
    expect(await seriousAxeFindings(page)).toEqual([]);
  });

  it('filters by status, project and text, and pages with the cursor', async () => {
    await page.getByRole('checkbox', { name: 'failed' }).check();
    await page.waitForURL(/status=failed/);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await row(failingRunId).waitFor();
    await page.getByRole('checkbox', { name: 'failed' }).uncheck();

    await page
      .getByLabel('Project', { exact: true })
      .selectOption(PAGING_PROJECT);
    await page.waitForURL(/project=ui-paging/);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(5);

    await page.getByLabel('Text in id, project or file').fill('paging-3');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await row('ui-paging-3').waitFor();

    await page.goto(`${ui.url}?project=${PAGING_PROJECT}&limit=2`);
    await row('ui-paging-4').waitFor();
    const ids = () =>
      page
        .locator('tbody tr')
        .evaluateAll((rows) =>
          rows.map((each) => each.getAttribute('data-run-id')),
        );
    expect(await ids()).toEqual(['ui-paging-4', 'ui-paging-3']);
    await page.getByRole('button', { name: 'Next' }).click();
    await row('ui-paging-2').waitFor();
    expect(await ids()).toEqual(['ui-paging-2', 'ui-paging-1']);
    await page.getByRole('button', { name: 'Next' }).click();
    await row('ui-paging-0').waitFor();
    expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(
      true,
    );
    await page.getByRole('button', { name: 'Previous' }).click();
    await row('ui-paging-2').waitFor();
    expect(await ids()).toEqual(['ui-paging-2', 'ui-paging-1']);
  });

  it('shows a run submitted while the list is open at the top, then follows its status', async () => {
    await page.goto(ui.url);
    await row(helloRunId).waitFor();
    await expect
      .poll(() => page.locator('.connection').textContent())
      .toBe('live');

    const runId = `ui-live-${Date.now()}`;
    await publishEvent({
      type: 'run.submitted',
      runId,
      file: 'live.ts',
      bundleDigest: 'none',
    });
    await row(runId).waitFor();
    expect(
      await page.locator('tbody tr').first().getAttribute('data-run-id'),
    ).toBe(runId);
    expect(await row(runId).textContent()).toMatch(/submitted/);

    await publishEvent({
      type: 'run.started',
      runId,
      project: 'live-project',
      jobs: [],
      controllerId: 'ui-test',
    });
    await expect.poll(() => row(runId).textContent()).toMatch(/live-project/);
    await publishEvent({
      type: 'run.finished',
      runId,
      status: 'succeeded',
      durationMs: 5,
    });
    await expect.poll(() => row(runId).textContent()).toMatch(/succeeded/);
  });

  it('shows a run in its graph, timeline and events tabs', async () => {
    await page.goto(`${ui.url}runs/${helloRunId}`);
    await page.getByRole('tab', { name: 'Graph', selected: true }).waitFor();
    await expect
      .poll(() => page.locator('.run-header').textContent())
      .toMatch(/succeeded/);
    await page.getByRole('button', { name: /greet/ }).first().click();
    await page.getByRole('heading', { name: 'Job greet' }).waitFor();
    await page
      .getByRole('link', { name: /Attempt 1 log/ })
      .first()
      .waitFor();
    await saveScreenshot(page, 'run-graph');
    expect(await seriousAxeFindings(page)).toEqual([]);

    await page.getByRole('tab', { name: 'Timeline' }).click();
    await page.waitForURL(/tab=timeline/);
    await page.locator('.timeline-row').first().waitFor();
    const timeline = await page.locator('.timeline-rows').textContent();
    expect(timeline).toMatch(/greet/);
    expect(timeline).toMatch(/shout/);
    await page.locator('.timeline-attempt .bar').first().hover();
    await page.getByRole('tooltip').waitFor();
    await saveScreenshot(page, 'run-timeline');
    expect(await seriousAxeFindings(page)).toEqual([]);

    await page.getByRole('tab', { name: 'Events' }).click();
    await page.locator('.event-row').first().waitFor();
    const events = await page.locator('.events-list').textContent();
    expect(events).toMatch(/run\.submitted/);
    expect(events).toMatch(/run\.finished/);
    await page
      .getByRole('button', { name: /Show JSON/ })
      .first()
      .click();
    await page.locator('.event-json').waitFor();
    expect(await page.locator('.event-json').textContent()).toContain(
      `"runId": "${helloRunId}"`,
    );
    await saveScreenshot(page, 'run-events');
    expect(await seriousAxeFindings(page)).toEqual([]);
  });

  it('lets an operator cancel a running run: pending, then confirmed', async () => {
    const run = await client.submitAndWatch('tests/fixtures/ui-long.ts');
    for await (const event of run.events) {
      if (event.type === 'task.started') break;
    }
    await page.goto(`${ui.url}runs/${run.runId}`);
    const cancel = page.getByRole('button', { name: 'Cancel', exact: true });
    await cancel.waitFor();
    // The first click asks; keeping the run changes nothing.
    await cancel.click();
    await page.getByRole('button', { name: 'Keep it running' }).click();
    await cancel.waitFor();
    // Every text the actions show, however briefly.
    await page.evaluate(`
      window.seen = [];
      const actions = document.querySelector('.run-actions');
      new MutationObserver(() => window.seen.push(actions.textContent))
        .observe(actions, { subtree: true, childList: true, characterData: true });
    `);

    await cancel.click();
    await page.getByRole('button', { name: 'Cancel the run' }).click();
    await page.getByText('Run cancelled.').waitFor();
    expect(
      await page.locator('.run-header .status').first().textContent(),
    ).toMatch(/cancelled/);
    const seen = (await page.evaluate('window.seen')) as string[];
    const pendingAt = seen.findIndex((text) => text.includes('Cancelling…'));
    const confirmedAt = seen.findIndex((text) => text.includes('cancelled.'));
    expect(pendingAt).toBeGreaterThanOrEqual(0);
    expect(confirmedAt).toBeGreaterThan(pendingAt);
  });

  it('lets an operator retry a failed run and links to the new run', async () => {
    await page.goto(`${ui.url}runs/${failingRunId}`);
    await page.getByRole('button', { name: 'Retry failed' }).click();
    const link = page.locator('.action-status a');
    await link.waitFor();
    const newRunId = (await link.textContent()) ?? '';
    expect(newRunId).not.toBe(failingRunId);
    await link.click();
    await page.waitForURL(new RegExp(`/runs/${newRunId}`));
    await page.getByText(failingRunId).first().waitFor();
  });

  it('shows a viewer no actions, and the API refuses their cancel', async () => {
    const viewer = await browser.newContext();
    try {
      const viewerPage = await viewer.newPage();
      await openSignedIn(viewerPage, ui, 'viewer', `runs/${failingRunId}`);
      await viewerPage.locator('.run-header').waitFor();
      expect(await viewerPage.locator('.app-header').textContent()).toMatch(
        /viewer/,
      );
      expect(
        await viewerPage.getByRole('button', { name: /Retry/ }).count(),
      ).toBe(0);
      expect(
        await viewerPage.getByRole('button', { name: /Cancel/ }).count(),
      ).toBe(0);
    } finally {
      await viewer.close();
    }

    const refused = await api(ui, 'viewer', `/api/runs/${helloRunId}/cancel`, {
      method: 'POST',
      body: '{}',
    });
    expect(refused.status).toBe(403);
  });
});
