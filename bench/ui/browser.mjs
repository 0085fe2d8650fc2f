/**
 * Debian's Chromium, headless, as the UI's measurements drive it: no
 * sandbox (they may run as root), no GPU, and no background connections,
 * which a machine without internet would refuse.
 */
import { chromium } from 'playwright-core';

/** Launches the browser; close it when done. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.RIVER_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
