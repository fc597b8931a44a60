// Looks at a campaign's HTML timeline in a real headless Chromium (Debian's package, driven by
// puppeteer-core, which never downloads a browser; scripts/cluster.sh sets CHROMIUM_PATH the way
// scripts/browser.sh does): what a reader sees — the verdicts, one lane per client, the anomaly's
// bars drawn in red and on screen in the zoomed view — and that the page loads nothing but
// itself. Keeps a screenshot next to the timeline. The browser is stopped by pid afterwards,
// also when a check fails.

import { pathToFileURL } from 'node:url';
import { launchChromium } from '../browser/chromium.ts';

export interface TimelineView {
  readonly title: string;
  readonly verdicts: readonly string[];
  readonly lanes: number;
  readonly anomalies: readonly { readonly op: string; readonly fill: string; readonly width: number; readonly visible: boolean }[];
  readonly bars: number;
  readonly requests: readonly string[];
  readonly screenshot: string;
}

export async function viewTimeline(file: string): Promise<TimelineView> {
  const browser = await launchChromium('test:cluster');
  const pid = browser.process()?.pid;
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const read = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;
    await read('document.getElementById("anomaly")?.scrollIntoView()');
    const view = await read<Omit<TimelineView, 'requests' | 'screenshot'>>(`(() => {
      const zoom = document.querySelector('svg.timeline[data-label="anomaly"]');
      const full = document.querySelector('svg.timeline[data-label="full"]');
      const anomalies = [...(zoom ? zoom.querySelectorAll('rect.op.anomaly') : [])].map((r) => {
        const box = r.getBoundingClientRect();
        return { op: r.getAttribute('data-op'), fill: getComputedStyle(r).fill, width: box.width,
          visible: box.width > 0 && box.bottom > 0 && box.top < innerHeight && box.right > 0 };
      });
      return {
        title: document.title,
        verdicts: [...document.querySelectorAll('td[class^="verdict-"]')].map((td) => td.textContent),
        lanes: full ? full.querySelectorAll('text.lane').length : 0,
        bars: full ? full.querySelectorAll('rect.op').length : 0,
        anomalies,
      };
    })()`);
    const screenshot = file.replace(/\.html$/, '.png');
    await page.screenshot({ path: screenshot as `${string}.png` });
    return { ...view, requests, screenshot };
  } finally {
    await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]).catch(() => undefined);
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
