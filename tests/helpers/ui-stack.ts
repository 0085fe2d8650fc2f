import type { GatewayAccess, LocalStack } from '@river/cli';
import { CORE_SERVICES } from '@river/cli';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startTestStack } from './river.js';

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
