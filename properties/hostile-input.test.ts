// Bad input and I/O failures, as an adversary feeds them to the command: each gives one line on
// stderr and exit 2 (or a clean result), never a stack trace or a hang, and loses nothing that
// was computed.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '..', 'src', 'cli', 'faultline.js');
const dir = mkdtempSync(join(tmpdir(), 'faultline-hostile-'));

function faultline(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^faultline: /);
  return lines[0];
}

const bug = ['check', 'twophase', '--param', 'rm=2', '--variant', 'commit-without-all-prepared'];

describe('bounds', () => {
  it('--time-limit 1e308 is refused as absurd', () => {
    const r = faultline('check', 'twopc', '--time-limit', '1e308');
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain('--time-limit must be at most');
  });

  it('a scenario honours --time-limit, and liveness and simulate accept one', () => {
    const scenario = faultline('check', 'paxos', '--scenario', 'dueling-proposers-livelock', '--time-limit', '0.2', '--json');
    expect(scenario.code).toBe(3);
    expect(JSON.parse(scenario.stdout).boundsHit).toEqual(['timeLimit']);
    const live = faultline('liveness', 'paxos', '--param', 'ballotsMax=3', '--param', 'learners=0', '--time-limit', '0.2', '--json');
    expect(live.code).toBe(3);
    expect(JSON.parse(live.stdout).boundsHit).toEqual(['timeLimit']);
    const swarm = faultline('simulate', 'paxos', '--runs', '100000000', '--time-limit', '0.5', '--json');
    expect(swarm.code).toBe(0);
    const report = JSON.parse(swarm.stdout);
    expect(report.timeLimited).toBe(true);
    expect(report.runs).toBeLessThan(100_000_000);
  });
});

describe('output paths that cannot be written', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a directory');

  it.each([
    ['under a regular file (ENOTDIR)', join(file, 'traces'), 'ENOTDIR'],
    ['under /proc (where mkdir -p would spin)', '/proc/nosuch', 'ENOENT'],
  ])('--save %s: the result is still printed (with --json too), then one line and exit 2', (_what, target, code) => {
    const text = faultline(...bug, '--save', target);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('violation of TCConsistent (expected), 5 steps');
    expect(oneLine(text.stderr)).toContain(`cannot write ${target}`);
    expect(text.stderr).toContain(code);
    const json = faultline(...bug, '--save', target, '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).status).toBe('violation');
  });

  it('liveness --dot onto a directory and simulate --save under a file are one line and exit 2', () => {
    const dot = faultline('liveness', 'twopc', '--param', 'participants=2', '--param', 'crashCoordinatorOnly=1', '--dot', dir);
    expect(dot.code).toBe(2);
    expect(dot.stdout).toContain('stuck after 5 steps');
    expect(oneLine(dot.stderr)).toContain(`cannot write ${dir} (EISDIR)`);
    const sim = faultline('simulate', 'twophase', '--variant', 'commit-without-all-prepared', '--runs', '50', '--save', join(file, 'x'));
    expect(sim.code).toBe(2);
    expect(oneLine(sim.stderr)).toContain('ENOTDIR');
  });
});

describe('check --all --jobs, --only, --junit and --github', () => {
  it.each([
    [['--all', '--jobs', '0'], "--jobs must be a positive integer, got '0'"],
    [['--all', '--jobs', 'abc'], "--jobs must be a positive integer, got 'abc'"],
    [['--all', '--jobs', '1e9'], "--jobs must be a positive integer, got '1e9'"],
    [['--all', '--only', 'nosuch'], "unknown model 'nosuch'"],
    [['--all', '--only', ','], "--only needs model names separated by commas, got ','"],
    [['twophase', '--jobs', '2'], '--jobs and --only apply to check --all'],
    [['--all', '--github', '--json'], '--github prints annotations on stdout, where --json prints its object'],
  ])('check %j is one line and exit 2', (args, message) => {
    const r = faultline('check', ...args);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(message);
    expect(r.stdout).toBe('');
  });

  it.each([
    ['in a directory that does not exist', '/nonexistent/dir/x.xml', 'ENOENT'],
    ['that is a directory', dir, 'EISDIR'],
    ['under a regular file', join(dir, 'a-file', 'x.xml'), 'ENOTDIR'],
  ])('--junit %s is refused before any row runs: one line, exit 2', (_what, target, code) => {
    const started = performance.now();
    const r = faultline('check', '--all', '--junit', target);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toBe(`faultline: cannot write ${target} (${code})`);
    expect(r.stdout).toBe('');
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});

describe('traces that are not traces', () => {
  it('replay of /dev/zero and of a directory is refused at once', () => {
    for (const target of ['/dev/zero', dir]) {
      const r = faultline('replay', target);
      expect(r.code).toBe(2);
      expect(oneLine(r.stderr)).toBe(`faultline: ${target}: not a regular file`);
    }
  });

  it('an action nested 5,000 arrays deep is refused without a stack overflow', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const file = join(dir, 'deep.json');
    writeFileSync(file, `{"format":"faultline-trace","version":1,"model":"twophase","variant":"default","params":{"rm":2},"property":"TCConsistent","outcome":"violation","init":0,"steps":[{"label":"x","action":${deep}}]}`);
    const r = faultline('replay', file);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain('nested more than 64 levels deep');
  });

  it('an edited step label is caught on replay, naming the step', () => {
    const saved = join(dir, 'labels');
    expect(faultline(...bug, '--save', saved).code).toBe(0);
    const file = join(saved, 'twophase', 'commit-without-all-prepared-tcconsistent.json');
    const trace = JSON.parse(readFileSync(file, 'utf8'));
    trace.steps[2].label = 'TM commits because it feels like it';
    writeFileSync(file, JSON.stringify(trace));
    const r = faultline('replay', file);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain('step 3: the label "TM commits because it feels like it" is not what the model calls this action');
  });

  it('replay --html onto the trace itself is refused', () => {
    const saved = join(dir, 'html');
    expect(faultline('check', 'paxos', '--variant', 'learner-minority', '--save', saved).code).toBe(0);
    const file = join(saved, 'paxos', 'learner-minority-learnedchosen.json');
    const before = readFileSync(file, 'utf8');
    const r = faultline('replay', file, '--html', file);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain('would overwrite the trace it replays');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});

describe('merge refuses reports of different campaigns', () => {
  const report = (name: string, ...args: string[]) => {
    const r = faultline('simulate', 'twophase', '--runs', '50', '--json', ...args);
    const file = join(dir, name);
    writeFileSync(file, r.stdout);
    return file;
  };

  it('shards run with different --depth-max, and a 1/1 report with a 1/2 shard', () => {
    mkdirSync(join(dir, 'merge'), { recursive: true });
    const a = report('merge/a.json', '--shard', '1/2', '--depth-max', '20');
    const b = report('merge/b.json', '--shard', '2/2', '--depth-max', '30');
    const whole = report('merge/whole.json', '--depth-max', '20');
    const depth = faultline('merge', a, b);
    expect(depth.code).toBe(2);
    expect(oneLine(depth.stderr)).toContain('depth-max 30/20');
    const mixed = faultline('merge', whole, a);
    expect(mixed.code).toBe(2);
    expect(oneLine(mixed.stderr)).toContain('split the campaign differently');
  });
});
