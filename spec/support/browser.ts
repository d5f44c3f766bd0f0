// A real browser for the dashboard specs: Debian's Chromium (or $TW_CHROMIUM) driven by
// playwright-core, headless, in a fresh profile, with nothing fetched from the network. Without the
// browser, a suite fails in CI and is skipped with a message on a laptop (like a missing service).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type BrowserContextOptions } from 'playwright-core';
import { missingPrerequisite } from './services';

export const CHROMIUM = process.env.TW_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** In a before() hook: starts Chromium with a fresh --user-data-dir. */
export async function launchBrowser(suite: Mocha.Context, options: BrowserContextOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    missingPrerequisite(suite, `no Chromium at ${CHROMIUM}`, 'CI installs it (.ci/run: apt-get install -y chromium)',
      'install it (apt-get install chromium) or set TW_CHROMIUM to run the browser specs');
  }
  const profile = mkdtempSync(path.join(os.tmpdir(), 'tw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, ...options });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
