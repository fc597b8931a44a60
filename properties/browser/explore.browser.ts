// `faultline explore` in a real headless Chromium (Debian's package, driven by puppeteer-core,
// which never downloads a browser): the command is started as a user starts it, the page is
// clicked through a saved counterexample, and a screenshot is kept. Run by `npm run
// test:browser` (scripts/browser.sh sets CHROMIUM_PATH), not by `npm test`.
//
// The server and the browser are started here and stopped by pid in afterAll, which vitest runs
// also when a test fails. The browser may resolve no host name but 127.0.0.1, and every request
// the page makes is recorded: none may leave this server.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium } from './chromium.ts';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'src', 'cli', 'faultline.js');
const TRACE = 'traces/twopc/decide-after-first-yes-commitvalidity.json';
const OTHER_VARIANT_TRACE = 'traces/twopc/commit-on-vote-timeout-commitvalidity.json';
/** Where the screenshots go (gitignored); CI uploads this directory as an artifact. */
const ARTIFACTS = resolve(root, process.env.FAULTLINE_ARTIFACTS ?? '.faultline-out/browser');

const trace = JSON.parse(readFileSync(join(root, TRACE), 'utf8')) as { steps: { label: string }[]; message: string };
/** The trace's path in the model (checked against the server's own mapping below). */
const TRACE_PATH = [0, 0, 1, 1, 0];

let server: ChildProcess | undefined;
let url = '';
let browser: Browser | undefined;
let page: Page;
const requests: string[] = [];

beforeAll(async () => {
  url = await startServer();
  browser = await launchChromium('test:browser');
  page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  page.on('request', (r) => requests.push(r.url()));
});

afterAll(async () => {
  const pid = browser?.process()?.pid;
  await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 5000))]).catch(() => undefined);
  if (pid !== undefined) killIfAlive(pid);
  await stopServer();
});

/** Starts `faultline explore --trace` and returns the address it prints. */
function startServer(): Promise<string> {
  const child = spawn(process.execPath, [bin, 'explore', '--trace', TRACE], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  server = child;
  let out = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`faultline explore printed no address within 30 s: ${out}`)), 30_000);
    const take = (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolvePromise(m[1]);
      }
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    child.on('exit', (code) => reject(new Error(`faultline explore exited with ${code} before printing its address: ${out}`)));
  });
}

/** Ctrl-C (SIGINT) to the server by pid, as a user stops it; SIGKILL if it does not go. */
async function stopServer(): Promise<void> {
  const child = server;
  if (child === undefined || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGINT');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null && child.signalCode === null) killIfAlive(child.pid);
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A value read in the page (a string of JavaScript, so this file needs no DOM types). */
function read<T>(expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/** Waits until the page shows the state at the end of `path`. */
async function shown(path: readonly number[]): Promise<void> {
  await page.waitForFunction(`document.body.dataset.state === 'ready' && document.body.dataset.path === ${JSON.stringify(path.join(','))}`, { timeout: 10_000 });
}

const panelStatus = () => read<string>("document.getElementById('invariants').dataset.status");
const failing = () => read<string[]>("[...document.querySelectorAll('#invariant-list li.fail')].map((li) => li.textContent)");

async function clickAction(label: string): Promise<void> {
  const button = await page.$(`#actions button[data-label=${JSON.stringify(label)}]`);
  expect(button, `a button labelled "${label}"`).not.toBeNull();
  await button!.click();
}

describe('faultline explore in headless Chromium', () => {
  it('opens at the initial state of the trace it was given, with the trace as the run to step through', async () => {
    await page.goto(url);
    await shown([0]);
    expect(await read<string>('location.hash')).toBe('#path=0');
    expect(await read<string>("document.getElementById('model-name').textContent")).toBe('twopc (decide-after-first-yes)');
    expect(await read<string[]>("[...document.querySelectorAll('#steps li')].map((li) => li.textContent)"))
      .toEqual(['initial state', ...trace.steps.map((s) => s.label)]);
  });

  it('marks faults among the enabled actions', async () => {
    const crash = await read<{ cls: string; text: string } | null>(
      "(b => b && { cls: b.className, text: b.textContent })(document.querySelector('#actions button[data-label=\"crash coord\"]'))");
    expect(crash).not.toBeNull();
    expect(crash!.cls).toContain('fault');
    expect(crash!.text).toBe('⚡ faultcrash coord');
    expect(await read<string>("document.querySelector('#actions button[data-label=\"coord->p1 Prepare\"]').className")).not.toContain('fault');
  });

  it('clicking through the saved decide-after-first-yes trace turns the invariant panel red at the violating step and not before', async () => {
    for (let i = 0; i < trace.steps.length; i++) {
      expect(await panelStatus(), `before step ${i + 1}`).toBe('ok');
      expect(await failing()).toEqual([]);
      await clickAction(trace.steps[i].label);
      await shown(TRACE_PATH.slice(0, i + 2));
    }
    expect(await panelStatus()).toBe('fail');
    expect(await failing()).toEqual([`✗CommitValidity${trace.message}`]);
    expect(await read<string>('location.hash')).toBe(`#path=${TRACE_PATH.join(',')}`);
    // The last step (coord->p1 Commit) changed p1's status: highlighted in the state tree.
    expect(await read<boolean>(`!!document.querySelector('#state .changed[data-path="nodes[1].state.status"]')`)).toBe(true);
    expect(await read<boolean>(`!!document.querySelector('#state .changed[data-path="nodes[2].state.status"]')`)).toBe(false);
    expect(await read<string>("document.getElementById('changes').textContent")).toContain('nodes[1].state.status: prepared -> committed');
    // The chart of the run, drawn by the HTML renderer in its frame.
    await page.waitForFunction("(d => d && d.querySelectorAll('svg .msg').length === 3)(document.getElementById('chart').contentDocument)");
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'explore-twopc-decide-after-first-yes.png'), fullPage: true });
  });

  it('a reload from the URL shows the same state', async () => {
    const before = await read<string>("document.getElementById('state').textContent");
    await page.reload();
    await shown(TRACE_PATH);
    expect(await read<string>("document.getElementById('state').textContent")).toBe(before);
    expect(await panelStatus()).toBe('fail');
    expect(await failing()).toEqual([`✗CommitValidity${trace.message}`]);
  });

  it('back and forward step along the run, and the browser\'s own back button follows the URL', async () => {
    await page.click('#back');
    await shown(TRACE_PATH.slice(0, -1));
    expect(await panelStatus()).toBe('ok');
    await page.click('#forward');
    await shown(TRACE_PATH);
    expect(await panelStatus()).toBe('fail');
    await page.goBack();
    await shown(TRACE_PATH.slice(0, -1));
  });

  it('"nearest violation" from the initial state extends the path to a red state of the same length as the trace', async () => {
    await page.click('#restart');
    await shown([0]);
    await page.click('#search-violation');
    await page.waitForFunction("document.body.dataset.search === 'found'", { timeout: 30_000 });
    await page.waitForFunction(`document.body.dataset.state === 'ready' && document.body.dataset.path.split(',').length === ${TRACE_PATH.length}`);
    expect(await panelStatus()).toBe('fail');
    expect(await read<string>("document.getElementById('message').textContent")).toMatch(/^found: CommitValidity violated: .* \(4 steps on; [\d,]+ states searched\)$/);
  });

  it('"witness" searches for the witness chosen in the list, and the witness panel then shows it holding', async () => {
    await page.click('#restart');
    await shown([0]);
    await page.select('#witness-choice', 'a run aborts');
    await page.click('#search-witness');
    await page.waitForFunction("document.body.dataset.search === 'found' && document.body.dataset.state === 'ready' && document.body.dataset.path !== '0'", { timeout: 30_000 });
    expect(await read<string>("document.querySelector('#witness-list li[data-name=\"a run aborts\"]').className")).toBe('holds');
    expect(await read<string>("document.querySelector('#witness-list li[data-name=\"a run commits\"]').className")).toBe('never');
  });

  it('a trace of another variant, loaded in the page, is refused with the reason', async () => {
    const input = await page.$('#trace-file');
    await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(join(root, OTHER_VARIANT_TRACE));
    await page.waitForFunction("document.getElementById('message').className === 'error'");
    expect(await read<string>("document.getElementById('message').textContent"))
      .toBe("cannot load the trace: the trace: a trace of variant 'commit-on-vote-timeout', but the explorer runs 'decide-after-first-yes'");
  });

  it('the page asked nothing of any address but its own server', () => {
    const origin = new URL(url).origin;
    const elsewhere = requests.filter((r) => !r.startsWith(`${origin}/`) && !r.startsWith('about:') && !r.startsWith('data:'));
    expect(requests.length).toBeGreaterThan(10);
    expect(elsewhere).toEqual([]);
  });
});
