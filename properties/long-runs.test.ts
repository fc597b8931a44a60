// Long runs a user can watch and stop: progress lines on stderr, Ctrl-C ends the search as
// `bounded` (interrupted) with its statistics, and a memory budget ends it as `bounded`
// (memoryMax) instead of a V8 out-of-memory crash. Each runs the real command in a child
// process, as a user would.

import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '..', 'src', 'cli', 'faultline.js');

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function faultline(...args: string[]): Finished {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the command, sends SIGINT once stderr shows `when`, and collects what it printed. */
function interruptWhen(when: RegExp, args: readonly string[]): Promise<Finished & { readonly sentAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = performance.now();
    let stdout = '';
    let stderr = '';
    let sentAfterMs = -1;
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (sentAfterMs < 0 && when.test(stderr)) {
        sentAfterMs = performance.now() - started;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, sentAfterMs });
    });
  });
}

describe('long runs', () => {
  it('--progress prints distinct and total states, frontier, depth, states/s, elapsed time and memory on stderr, and --json stays one object', () => {
    const r = faultline('check', 'twophase', '--param', 'rm=8', '--progress', '--json');
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('progress: '));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toMatch(/^progress: [\d,]+ distinct, [\d,]+ total, frontier [\d,]+, depth \d+, [\d,]+ states\/s, [\d.]+ s, [\d,]+ MiB$/);
    const out = JSON.parse(r.stdout);
    expect([out.status, out.distinctStates, out.totalStates, out.depth]).toEqual(['holds', 1_745_408, 18_507_778, 26]);
  });

  it('Ctrl-C stops a check with the statistics so far: status bounded (interrupted), exit 3', async () => {
    // PaxosCommit.cfg takes about a minute: interrupted at its first progress line (~2 s).
    const r = await interruptWhen(/^progress: /m, ['check', 'paxoscommit', '--progress', '--json']);
    expect(r.sentAfterMs).toBeGreaterThan(0);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('interrupted: stopping the search with the statistics so far');
    const out = JSON.parse(r.stdout);
    expect([out.status, out.boundsHit, out.matchesExpected]).toEqual(['bounded', ['interrupted'], true]);
    expect(out.verdict).toBe('no violation within bounds (search cut by interrupted), NOT verified');
    expect(out.distinctStates).toBeGreaterThan(0);
    expect(out.distinctStates).toBeLessThan(1_321_761);
  });

  it('Ctrl-C during check --all stops the running row, skips the rest and still prints the table', async () => {
    const r = await interruptWhen(/^progress: /m, ['check', '--all', '--progress']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/search cut by interrupted/);
    expect(r.stdout).toMatch(/\(interrupted: the remaining checks did not run\)/);
  });

  it('a check that exceeds its memory budget ends as bounded (memoryMax) with its statistics, not a crash', () => {
    const r = faultline('check', 'twophase', '--param', 'rm=9', '--memory-max', '100', '--json');
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect([out.status, out.boundsHit]).toEqual(['bounded', ['memoryMax']]);
    expect(out.distinctStates).toBeGreaterThan(0);
    expect(out.processBytesPerState).toBeGreaterThan(out.bytesPerState);
  });

  it('a liveness run that exceeds its memory budget ends as partial (memoryMax), exit 3', () => {
    const r = faultline('liveness', 'paxos', '--variant', 'distinguished', '--param', 'ballotsMax=6', '--param', 'learners=1', '--states-max', '5000000', '--memory-max', '120', '--json');
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect([out.complete, out.boundsHit]).toEqual([false, ['memoryMax']]);
  });

  it('a scenario check honours the bounds it is given: --depth-max cuts a liveness scenario', () => {
    const r = faultline('check', 'paxos', '--scenario', 'distinguished-proposer-chooses', '--depth-max', '5', '--json');
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect([out.kind, out.status, out.boundsHit, out.depth]).toEqual(['liveness', 'bounded', ['depthMax'], 5]);
  });

  it('an absurd memory budget or time limit is one line and exit 2', () => {
    for (const args of [['--memory-max', '99999999'], ['--memory-max', '0'], ['--time-limit', '1e308']]) {
      const r = faultline('check', 'twophase', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^faultline: --(memory-max|time-limit) must be/);
    }
  });
});
