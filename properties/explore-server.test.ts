// The browser explorer's server without a browser: its JSON API over real HTTP on 127.0.0.1,
// and the `faultline explore` command's input errors and clean stop. The page itself is driven
// in headless Chromium by properties/browser/ (npm run test:browser).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { findModel, instantiate } from '../src/verify/index.ts';
import { loadTrace } from '../src/trace/trace.ts';
import { startExploreServer, type ExploreServer } from '../src/ui/server.ts';
import { tracePath } from '../src/ui/session.ts';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'src', 'cli', 'faultline.js');
const TRACE = 'traces/twopc/decide-after-first-yes-commitvalidity.json';

const trace = loadTrace(join(root, TRACE));
const buggy = instantiate(findModel('twopc'), trace.variant, trace.params);
const faithful = instantiate(findModel('twophase'));

let server: ExploreServer;
let small: ExploreServer;

beforeAll(async () => {
  server = await startExploreServer({ instance: buggy, trace: { file: TRACE, ...tracePath(buggy, trace, TRACE) } });
  small = await startExploreServer({ instance: faithful, searchStatesMax: 50 });
});

afterAll(async () => {
  await server?.close();
  await small?.close();
});

async function get(s: ExploreServer, path: string): Promise<{ status: number; body: any }> {
  const r = await fetch(new URL(path, s.url));
  return { status: r.status, body: await r.json() };
}

async function post(s: ExploreServer, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(new URL(path, s.url), { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

describe('the explore server API', () => {
  it('listens on 127.0.0.1 only, on a free port, and describes the model, its properties and the trace it was given', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const { status, body } = await get(server, '/api/model');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      name: 'twopc',
      variant: 'decide-after-first-yes',
      invariants: ['Atomicity', 'CommitValidity', 'NoReversal'],
      witnesses: ['a run commits', 'a run aborts'],
      nodeIds: ['coord', 'p1', 'p2'],
      initialStates: 1,
      trace: { file: TRACE, path: [0, 0, 1, 1, 0], reproduced: true },
    });
  });

  it('along the saved decide-after-first-yes trace, CommitValidity fails at the last step and at no earlier one', async () => {
    const path = [0, 0, 1, 1, 0];
    for (let n = 1; n <= path.length; n++) {
      const { status, body } = await get(server, `/api/state?path=${path.slice(0, n).join(',')}`);
      expect(status).toBe(200);
      const failing = body.invariants.filter((i: { ok: boolean }) => !i.ok);
      if (n < path.length) expect(failing).toEqual([]);
      else expect(failing).toEqual([{ name: 'CommitValidity', ok: false, message: 'p1 committed but p2 never voted' }]);
    }
  });

  it('a state names what its last step changed in the transcript\'s words, the steps so far, and the run as a chart', async () => {
    const { body } = await get(server, '/api/state?path=0,0,1,1');
    expect(body.steps.map((s: { label: string }) => s.label)).toEqual(['coord->p1 Prepare', 'p1 votes yes', 'p1->coord Vote yes']);
    // The same lines as step 3 of the trace's transcript.
    const transcript = readFileSync(join(root, TRACE.replace(/\.json$/, '.txt')), 'utf8');
    for (const change of body.changes) expect(transcript).toContain(`       ${change}\n`);
    expect(body.changed).toEqual(['network', 'nodes[0].state.decision', 'nodes[0].state.phase', 'nodes[0].state.votes[0]', 'nodes[0].durable', 'nodes[0].timers']);
    expect(body.chart).toContain('|<--Vote yes----|');
    expect(body.chartHtml).toMatch(/^<!doctype html>/);
    expect(body.transcript).toContain('3. p1->coord Vote yes');
  });

  it('enabled actions carry the model\'s labels, and faults are flagged as faults', async () => {
    const { body } = await get(server, '/api/state?path=0');
    const labels = body.actions.map((a: { label: string }) => a.label);
    expect(labels).toContain('coord->p1 Prepare');
    const crash = body.actions.find((a: { label: string }) => a.label === 'crash coord');
    expect(crash).toMatchObject({ fault: true });
    expect(body.actions.find((a: { label: string }) => a.label === 'coord->p1 Prepare')).toMatchObject({ fault: false });
    expect(body.actions.map((a: { index: number }) => a.index)).toEqual(labels.map((_: string, i: number) => i));
  });

  it('witnesses say whether they hold here and where on the path they first held', async () => {
    const { body } = await get(server, '/api/state?path=0,0,1,1,0');
    // p1 committed, p2 has not yet: no run has committed as a whole.
    expect(body.witnesses).toEqual([{ name: 'a run commits', holds: false }, { name: 'a run aborts', holds: false }]);
    const found = await post(server, '/api/search', { path: [0, 0, 1, 1, 0], target: { kind: 'witness', name: 'a run commits' } });
    const commit = found.body.path as number[];
    const at = await get(server, `/api/state?path=${commit.join(',')}`);
    expect(at.body.witnesses[0]).toEqual({ name: 'a run commits', holds: true, firstAt: commit.length - 1 });
  });

  it('a path that does not fit the model is a 400 that names the step', async () => {
    expect(await get(server, '/api/state?path=0,99')).toEqual({ status: 400, body: { error: 'step 1 of the path picks action 99, but 6 are enabled after step 0' } });
    expect((await get(server, '/api/state?path=3')).body.error).toContain('the model has 1');
    expect((await get(server, '/api/state?path=0,x')).status).toBe(400);
    expect((await get(server, '/api/nothing')).status).toBe(404);
    expect((await post(server, '/api/state', {})).status).toBe(405);
    expect((await post(server, '/api/search', 'not json')).status).toBe(400);
  });

  it('answers only requests addressed to 127.0.0.1 or localhost (no DNS rebinding)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/api/model', headers: { Host: 'attacker.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('search from the initial state finds the nearest violation: the 4-step counterexample of check', async () => {
    const { body } = await post(server, '/api/search', { path: [0], target: { kind: 'violation' } });
    expect(body).toMatchObject({ found: true, steps: 4 });
    const end = await get(server, `/api/state?path=${body.path.join(',')}`);
    expect(end.body.invariants.some((i: { ok: boolean }) => !i.ok)).toBe(true);
    expect(body.message).toMatch(/^CommitValidity violated: p1 committed but p2 never voted \(4 steps on; [\d,]+ states searched\)$/);
  });

  it('search extends the path it starts from, to a chosen witness and to a stuck state', async () => {
    const commits = await post(server, '/api/search', { path: [0, 0], target: { kind: 'witness', name: 'a run commits' } });
    expect(commits.body).toMatchObject({ found: true });
    expect(commits.body.path.slice(0, 2)).toEqual([0, 0]);
    const at = await get(server, `/api/state?path=${commits.body.path.join(',')}`);
    expect(at.body.witnesses[0]).toMatchObject({ name: 'a run commits', holds: true });
    const stuck = await post(server, '/api/search', { path: '0', target: { kind: 'stuck' } });
    expect(stuck.body.found).toBe(true);
    expect((await get(server, `/api/state?path=${stuck.body.path.join(',')}`)).body.stuck).toBe(true);
    const bad = await post(server, '/api/search', { path: [0], target: { kind: 'witness', name: 'nope' } });
    expect(bad).toEqual({ status: 400, body: { error: 'no witness named "nope" (witnesses: a run commits, a run aborts)' } });
  });

  it('a search cut by its state bound says "not within N states", never "not reachable"', async () => {
    const { body } = await post(small, '/api/search', { path: [0], target: { kind: 'violation' } });
    expect(body).toMatchObject({ found: false, exhausted: false, boundsHit: ['statesMax'] });
    expect(body.message).toBe('no violation (of an invariant, or a deadlock) found within 50 states (search cut by statesMax)');
  });

  it('a search that exhausts the space from here says nothing is reachable, after all 288 states of TwoPhase', async () => {
    const exhaustive = await startExploreServer({ instance: faithful });
    try {
      const { body } = await post(exhaustive, '/api/search', { path: [0], target: { kind: 'violation' } });
      expect(body).toMatchObject({ found: false, exhausted: true, distinctStates: 288, boundsHit: [] });
      expect(body.message).toBe('no violation (of an invariant, or a deadlock) is reachable from here (all 288 states reachable from here were searched)');
    } finally {
      await exhaustive.close();
    }
  });

  it('POST /api/trace maps a saved trace to its path; a trace of another variant is refused, naming both', async () => {
    const text = readFileSync(join(root, TRACE), 'utf8');
    expect(await post(server, '/api/trace', text)).toMatchObject({ status: 200, body: { path: [0, 0, 1, 1, 0], reproduced: true } });
    const other = readFileSync(join(root, 'traces/twopc/commit-on-vote-timeout-commitvalidity.json'), 'utf8');
    const r = await post(server, '/api/trace', other);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("the trace: a trace of variant 'commit-on-vote-timeout', but the explorer runs 'decide-after-first-yes'");
  });

  it('the page is one self-contained document: no address outside this server, and a policy that forbids any', async () => {
    const r = await fetch(server.url);
    const html = await r.text();
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
  });
});

function faultline(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('faultline explore', () => {
  it.each([
    [['explore', 'nosuch'], /^faultline: unknown model 'nosuch' \(models: .*\)\n$/],
    [['explore', 'twopc', '--variant', 'nosuch'], /^faultline: model 'twopc' has no variant 'nosuch' \(variants: .*\)\n$/],
    [['explore', 'twopc', '--param', 'participants=99'], /^faultline: param participants=99 is out of range .*\n$/],
    [['explore', 'twopc', '--port', 'http'], /^faultline: --port must be a port number in 0\.\.65535 \(0: a free one\), got 'http'\n$/],
    [['explore', 'twopc', '--trace', 'traces/none.json'], /^faultline: traces\/none\.json: cannot read trace \(ENOENT\)\n$/],
    [['explore', 'twophase', '--trace', TRACE], /^faultline: .*a trace of model 'twopc', not 'twophase'\n$/],
    [['explore', '--trace', TRACE, '--param', 'participants=3'], /^faultline: .*a trace with params .*participants=2.*, but the explorer runs .*participants=3.*\n$/],
  ])('%j is bad input: one line on stderr, exit 2', (args, message) => {
    const r = faultline(...(args as string[]));
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.code).toBe(2);
  });

  it('a port in use is bad input: one line naming it, exit 2', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = faultline('explore', 'twopc', '--port', String(port));
      expect(r).toMatchObject({ code: 2, stderr: `faultline: port ${port} on 127.0.0.1 is in use\n` });
    } finally {
      taken.close();
    }
  });

  it('prints the address, serves the page, and stops cleanly with exit 0 on Ctrl-C (SIGINT)', async () => {
    const child = spawn(process.execPath, [bin, 'explore', '--trace', TRACE], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /(http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(out);
          if (m !== null) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`exited with ${code} before printing its address: ${out}`)));
      });
      const model = await (await fetch(new URL('/api/model', url))).json();
      expect(model).toMatchObject({ name: 'twopc', variant: 'decide-after-first-yes', trace: { path: [0, 0, 1, 1, 0] } });
      const code = await new Promise<number | null>((resolve) => {
        child.on('exit', (c) => resolve(c));
        child.kill('SIGINT');
      });
      expect(code).toBe(0);
      expect(out).toContain(`its last state: ${url}#path=0,0,1,1,0`);
      await expect(fetch(new URL('/api/model', url))).rejects.toThrow();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
