import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium, headless, as the browser tests drive it (no sandbox: tests run as root in CI). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
