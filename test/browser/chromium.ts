import { BrowserContext, BrowserContextOptions, chromium } from 'playwright-core';
import { existsSync } from 'node:fs';

/** Debian's package: Playwright cannot download its own browsers on these machines. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Without the background-networking, component-update and sync switches Chromium calls Google's
 * services on start; these tests and benchmarks talk to 127.0.0.1 only.
 */
const QUIET_FLAGS = [
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium with a fresh profile in `profileDirectory` (nothing cached, nothing stored). */
export async function launchChromium(profileDirectory: string, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`${CHROMIUM_PATH} is missing: run \`make tools\` (as root it installs Debian's chromium package)`);
  const runningAsRoot = process.getuid?.() === 0;
  return chromium.launchPersistentContext(profileDirectory, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...QUIET_FLAGS, ...(runningAsRoot ? ['--no-sandbox'] : [])],
    locale: 'en-US',
    timezoneId: 'UTC',
    ...options,
  });
}
