import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayAccess, LocalStack } from '@river/cli';
import { CORE_SERVICES } from '@river/cli';
import {
  encode,
  type RunEvent,
  SCHEMA_VERSION,
  Subjects,
} from '@river/protocol';
import type { RiverConnection } from '@river/protocol/internal';
import { type Browser, chromium, type Page } from 'playwright-core';
import { REPO_ROOT, startTestStack } from './river.js';

/** axe-core's bundle, injected into pages for accessibility scans. */
const AXE = join(REPO_ROOT, 'node_modules/axe-core/axe.min.js');

/** Debian's Chromium, which `.ci/run` installs when it is missing. */
export const CHROMIUM_PATH = process.env.RIVER_CHROMIUM ?? '/usr/bin/chromium';

/** River with its gateway, for tests of the web UI. */
export interface UiStack {
  stack: LocalStack;
  /** The UI's address, ending in `/`. */
  url: string;
  operatorToken: string;
  viewerToken: string;
  stop(): Promise<void>;
}

/**
 * Starts nats-server, the four services and the gateway as
 * `startTestStack` does, with a short keep-alive interval on live streams.
 */
export async function startUiStack(
  env: NodeJS.ProcessEnv = {},
): Promise<UiStack> {
  const stack = await startTestStack({
    services: [...CORE_SERVICES, 'gateway'],
    env: { RIVER_GATEWAY_PORT: '0', ...env },
  });
  const access = stack.gateway as GatewayAccess;
  return {
    stack,
    url: access.url,
    operatorToken: access.operatorToken as string,
    viewerToken: access.viewerToken as string,
    stop: () => stack.stop(),
  };
}

/**
 * Headless Chromium as River's tests run it: no sandbox (tests run as
 * root), no GPU, and no background connections, which this machine's
 * closed network would refuse.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Opens `path` of the UI signed in with the role's token. */
export async function openSignedIn(
  page: Page,
  ui: UiStack,
  role: 'operator' | 'viewer',
  path = '',
): Promise<void> {
  const token = role === 'operator' ? ui.operatorToken : ui.viewerToken;
  await page.goto(`${ui.url}${path.replace(/^\//, '')}#token=${token}`);
}

/** Calls the gateway's API with the role's token. */
export async function api(
  ui: UiStack,
  role: 'operator' | 'viewer',
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const token = role === 'operator' ? ui.operatorToken : ui.viewerToken;
  return fetch(new URL(path.replace(/^\//, ''), ui.url), {
    ...init,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(init.body === undefined
        ? {}
        : { 'Content-Type': 'application/json' }),
      ...init.headers,
    },
  });
}

/**
 * Publishes one event of a run as a service would, and returns its
 * stream sequence. `at` is now unless given.
 */
export async function publishRunEvent(
  connection: RiverConnection,
  fields: { type: string; runId: string } & Record<string, unknown>,
): Promise<number> {
  const event = { schema: SCHEMA_VERSION, at: Date.now(), ...fields };
  const ack = await connection.js.publish(
    Subjects.event(fields.runId, fields.type),
    encode('event', event as RunEvent),
  );
  return ack.seq;
}

/**
 * axe-core's serious and critical findings on the page as it is, as
 * `rule (impact, nodes)`. The page's context must bypass its content
 * security policy, which refuses injected scripts.
 */
export async function seriousAxeFindings(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  // Runs in the page, whose DOM types the tests do not include.
  const violations = (await page.evaluate(`axe.run().then((result) =>
    result.violations.map(({ id, impact, nodes }) =>
      ({ id, impact, count: nodes.length })))`)) as {
    id: string;
    impact: string;
    count: number;
  }[];
  return violations
    .filter(({ impact }) => impact === 'serious' || impact === 'critical')
    .map(({ id, impact, count }) => `${id} (${impact}, ${count})`);
}

/**
 * Saves a screenshot of the page as `<name>.png`: into `docs/ui` when
 * RIVER_UI_SCREENSHOTS is set (to refresh the docs), else into a
 * temporary folder, so that a test run leaves the repository as it was.
 */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  const dir =
    process.env.RIVER_UI_SCREENSHOTS === undefined
      ? join(tmpdir(), 'river-ui-screenshots')
      : join(REPO_ROOT, 'docs/ui');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}
