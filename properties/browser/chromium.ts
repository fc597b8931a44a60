// Headless Chromium for the suites that look at pages (test:browser, test:cluster's timeline):
// the binary scripts/browser.sh found (CHROMIUM_PATH), kept off the network.

import puppeteer, { type Browser } from 'puppeteer-core';

/** Launches the headless Chromium of CHROMIUM_PATH; `suite` names the npm script to run. */
export function launchChromium(suite: string): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH;
  if (executablePath === undefined) throw new Error(`CHROMIUM_PATH is not set: run these tests with npm run ${suite}`);
  return puppeteer.launch({
    executablePath,
    headless: true,
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start. The rest keeps the
    // browser off the network: no host name resolves except 127.0.0.1, no background traffic.
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions',
      '--disable-domain-reliability', '--no-pings', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
}
