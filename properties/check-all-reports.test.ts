// check --all on both cores and in CI: --jobs N gives the table a sequential run gives; Ctrl-C
// and a dying worker are reported honestly; --junit writes JUnit XML a CI system can parse;
// --github prints workflow commands escaped as GitHub reads them; and the shard/merge steps of
// the CI workflow (docs/ci/github-actions.yml) give the report of the unsharded campaign.

import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelDefinition } from '../src/core/model.ts';
import { findModel, runCheck, variantCheck } from '../src/verify/index.ts';
import { command, escapeData, escapeProperty, githubAnnotations } from '../src/cli/github.ts';
import { traceFileName } from '../src/trace/trace.ts';
import { attr, junitReport, xmlText } from '../src/cli/junit.ts';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'src', 'cli', 'faultline.js');
const dir = mkdtempSync(join(tmpdir(), 'faultline-reports-'));
/** Small models whose rows take a few seconds together. */
const SMALL = 'tcommit,twophase,cache-cluster';

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function faultline(...args: string[]): Finished {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the command; once stderr matches `when`, calls `act` with the command's pid. */
function actWhen(when: RegExp, args: readonly string[], act: (pid: number) => void): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let acted = false;
    const killer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!acted && when.test(stderr)) {
        acted = true;
        act(child.pid!);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The worker processes under `pid` (the entry point may have re-run itself with a larger
 * heap, so they are grandchildren or deeper). */
function workersUnder(pid: number): number[] {
  const ps = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' }).stdout;
  const procs = ps.split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    return m === null ? [] : [{ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] }];
  });
  const under = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (under.has(p.ppid) && !under.has(p.pid)) (under.add(p.pid), (grew = true));
  }
  return procs.filter((p) => under.has(p.pid) && p.args.includes('check-worker.js')).map((p) => p.pid);
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The fields of a row that do not depend on timing. */
function rowsOf(json: string): unknown[] {
  const out = JSON.parse(json) as { results: Record<string, unknown>[] };
  return out.results.map(({ elapsedMs: _e, statesPerSecond: _s, processBytesPerState: _p, ...row }) => row);
}

// A small XML reader, strict where a CI system's parser would be: one root element, quoted
// attributes, only the five predefined entities and character references, no raw `<` or `&`,
// only characters XML 1.0 allows.
interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

function parseXml(xml: string): XmlElement {
  const bad = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.exec(xml);
  if (bad !== null) throw new Error(`character U+${bad[0].codePointAt(0)!.toString(16)} is not allowed in XML`);
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not XML at offset ${i} (${why}): ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  const decode = (s: string) => {
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(s)) fail('a bare &');
    if (s.includes('<')) fail('a raw < in text');
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_m, e: string) =>
      e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : named[e],
    );
  };
  const skip = () => {
    while (/\s/.test(xml[i] ?? '')) i++;
  };
  const element = (): XmlElement => {
    const open = /^<([A-Za-z_][\w.-]*)/.exec(xml.slice(i)) ?? fail('expected an element');
    i += open[0].length;
    const el: XmlElement = { name: open[1], attrs: {}, children: [], text: '' };
    const attrs: Record<string, string> = {};
    for (;;) {
      skip();
      if (xml.startsWith('/>', i)) return (i += 2), { ...el, attrs };
      if (xml[i] === '>') break;
      const a = /^([A-Za-z_][\w.-]*)\s*=\s*"([^"]*)"/.exec(xml.slice(i)) ?? fail('expected name="value"');
      if (a[1] in attrs) fail(`attribute ${a[1]} twice`);
      attrs[a[1]] = decode(a[2]);
      i += a[0].length;
    }
    i++;
    const result: XmlElement = { ...el, attrs };
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt < 0) fail(`${el.name} is not closed`);
      result.text += decode(xml.slice(i, lt));
      i = lt;
      if (xml.startsWith(`</${el.name}>`, i)) return (i += el.name.length + 3), result;
      if (xml.startsWith('</', i)) fail(`a closing tag that is not </${el.name}>`);
      result.children.push(element());
    }
  };
  const prolog = /^<\?xml [^?]*\?>\s*/.exec(xml);
  if (prolog !== null) i = prolog[0].length;
  const rootElement = element();
  skip();
  if (i !== xml.length) fail('content after the root element');
  return rootElement;
}

const all = (el: XmlElement, name: string): XmlElement[] => [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];

/** A registered model with one variant's expectation turned around: what the definition says
 * and what the model does disagree, as when a change breaks a model. */
function withWrongExpectation(name: string, variant: string): ModelDefinition {
  const def = findModel(name);
  return { ...def, variants: def.variants.map((v) => (v.name === variant ? { ...v, expect: { status: 'holds' as const } } : v)) };
}

describe('check --all --jobs', () => {
  it('--jobs 2 gives the rows, outcomes, order and exit code of --jobs 1', () => {
    const one = faultline('check', '--all', '--only', SMALL, '--jobs', '1', '--json');
    const two = faultline('check', '--all', '--only', SMALL, '--jobs', '2', '--json');
    expect([one.code, two.code]).toEqual([0, 0]);
    expect(rowsOf(two.stdout)).toEqual(rowsOf(one.stdout));
    expect(rowsOf(one.stdout)).toHaveLength(14);
    // The text table prints the rows in the same order, each row once.
    const text2 = faultline('check', '--all', '--only', SMALL, '--jobs', '2');
    const shown = text2.stdout.split('\n').filter((l) => / (ok|FAIL) {2}/.test(l)).map((l) => `${l.slice(0, 15).trim()} ${l.slice(16, 66).trim()}`);
    const sequential = (JSON.parse(one.stdout) as { results: { model: string; variant: string; scenario?: string; kind: string }[] }).results;
    expect(shown).toEqual(sequential.map((x) => `${x.model} ${x.scenario === undefined ? x.variant : `${x.kind}: ${x.scenario}`}`));
    expect(text2.stdout).toContain('(2 worker processes)');
    expect(text2.stdout).toContain('14 checks, 14 as expected, 0 cut by a bound (not verified), 0 not as expected');
  });

  it('--only runs the named models in the registry\'s order', () => {
    const r = faultline('check', '--all', '--only', 'twophase,tcommit', '--jobs', '2', '--json');
    const models = (JSON.parse(r.stdout) as { results: { model: string }[] }).results.map((x) => x.model);
    expect([...new Set(models)]).toEqual(['tcommit', 'twophase']);
  });

  it('a row cut by memoryMax at its share of the budget runs again alone with the whole budget, as --jobs 1 runs it', () => {
    // At 1 MiB every search longer than one slice is cut at once, at its share or not.
    const one = faultline('check', '--all', '--only', 'twophase', '--memory-max', '1', '--jobs', '1', '--json');
    const two = faultline('check', '--all', '--only', 'twophase', '--memory-max', '1', '--jobs', '2', '--json', '--progress');
    expect([one.code, two.code]).toEqual([3, 3]);
    expect(rowsOf(two.stdout)).toEqual(rowsOf(one.stdout));
    expect(two.stderr.match(/runs again alone, with the whole budget/g)?.length).toBe(5);
  });

  it('Ctrl-C stops every worker: the running rows come back interrupted, the rest do not run, exit 3', async () => {
    let workers: number[] = [];
    // PaxosCommit's rows take a minute each: both workers are mid-search at the first progress line.
    const r = await actWhen(/^progress: paxoscommit /m, ['check', '--all', '--only', 'paxoscommit', '--jobs', '2', '--progress'], (pid) => {
      workers = workersUnder(pid);
      process.kill(pid, 'SIGINT');
    });
    expect(workers).toHaveLength(2);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('interrupted: stopping the search with the statistics so far');
    expect(r.stdout).toMatch(/search cut by interrupted/);
    expect(r.stdout).toMatch(/\(interrupted: the remaining checks did not run\)/);
    expect(workers.filter(alive)).toEqual([]);
  });

  it('a worker that dies gives its row an error outcome, and the other rows still run', async () => {
    let killed = 0;
    const r = await actWhen(/^progress: paxoscommit /m, ['check', '--all', '--only', 'tcommit,paxoscommit', '--jobs', '2', '--time-limit', '3', '--progress', '--json'], (pid) => {
      killed = workersUnder(pid)[0];
      process.kill(killed, 'SIGKILL');
    });
    expect(killed).toBeGreaterThan(0);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { results: { model: string; matchesExpected: boolean; verdict: string; kind: string }[] };
    expect(out.results).toHaveLength(9);
    const errors = out.results.filter((x) => x.verdict.startsWith('ERROR: '));
    expect(errors.map((x) => x.verdict)).toEqual(['ERROR: the worker process was killed by SIGKILL while checking this row']);
    expect(out.results.filter((x) => x.model === 'tcommit').every((x) => x.matchesExpected)).toBe(true);
  });
});

describe('check --junit', () => {
  it('writes one testcase per row of check --all, with its time, and no failure when every row is as expected', () => {
    const file = join(dir, 'all.xml');
    const r = faultline('check', '--all', '--only', SMALL, '--jobs', '2', '--junit', file);
    expect(r.code).toBe(0);
    const xml = parseXml(readFileSync(file, 'utf8'));
    expect([xml.name, xml.attrs.tests, xml.attrs.failures, xml.attrs.errors, xml.attrs.skipped]).toEqual(['testsuites', '14', '0', '0', '0']);
    expect(all(xml, 'testsuite').map((s) => s.attrs.name)).toEqual(['tcommit', 'twophase', 'cache-cluster']);
    const cases = all(xml, 'testcase');
    expect(cases).toHaveLength(14);
    expect(cases[0].attrs).toMatchObject({ classname: 'tcommit', name: 'default' });
    expect(cases.map((c) => c.attrs.name)).toContain('refinement: refines-tcommit');
    for (const c of cases) expect(Number(c.attrs.time)).toBeGreaterThanOrEqual(0);
  });

  it('a check not as expected is a failure naming the verdict, with the report and how to run it again', () => {
    const file = join(dir, 'one.xml');
    const r = faultline('check', 'twophase', '--variant', 'rm-aborts-after-prepare', '--param', 'rm=1', '--junit', file);
    expect(r.code).toBe(1);
    const failures = all(parseXml(readFileSync(file, 'utf8')), 'failure');
    expect(failures).toHaveLength(1);
    expect(failures[0].attrs.message).toBe('expected violation of TCConsistent NOT found (space exhausted)');
    expect(failures[0].text).toContain('run it again: npx faultline check twophase --variant rm-aborts-after-prepare --param rm=1');
  });

  it('an unexpected violation of an actor system carries its message sequence chart; escaping survives hostile names', () => {
    const def = withWrongExpectation('twopc', 'decide-after-first-yes');
    const o = runCheck(variantCheck(def, 'decide-after-first-yes'));
    expect(o.matchesExpected).toBe(false);
    const xml = parseXml(junitReport([o], []));
    const failure = all(xml, 'failure')[0];
    expect(failure.attrs.message).toMatch(/^VIOLATION of CommitValidity \(unexpected\)/);
    // The chart's lifelines, one per node, and the violated invariant.
    expect(failure.text).toMatch(/ coord +p1 +p2 +p3\n/);
    expect(failure.text).toContain(`Invariant CommitValidity violated after ${o.findings[0].steps} steps`);
    const hostile = 'a "quoted" <tag> & \'apos\'\nnew line\ttab \u0001 \u001b[31mred\u001b[0m';
    const doc = parseXml(`<x a="${attr(hostile)}">${xmlText(hostile)}</x>`);
    expect(doc.attrs.a).toBe('a "quoted" <tag> & \'apos\'\nnew line\ttab \uFFFD red');
    expect(doc.text).toBe('a "quoted" <tag> & \'apos\'\nnew line\ttab \uFFFD red');
  });
});

describe('check --github', () => {
  it('prints an ::error for a row not as expected, its text escaped as one line', () => {
    const r = faultline('check', 'twophase', '--variant', 'rm-aborts-after-prepare', '--param', 'rm=1', '--github');
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^::error title=faultline check twophase rm-aborts-after-prepare%3A expected violation of TCConsistent NOT found \(space exhausted\)::faultline check twophase/);
    expect(lines[0]).toContain('%0Arun it again: npx faultline check twophase --variant rm-aborts-after-prepare --param rm=1');
  });

  it('points the annotation at the saved trace, and says nothing of a planted bug found as expected', () => {
    const o = runCheck(variantCheck(withWrongExpectation('twophase', 'commit-without-all-prepared'), 'commit-without-all-prepared'));
    const file = traceFileName('traces', o.findings[0].trace!);
    const lines = githubAnnotations([o], [], () => [file]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^::error file=traces\/twophase\/commit-without-all-prepared-tcconsistent\.json,title=faultline check twophase commit-without-all-prepared%3A VIOLATION of TCConsistent \(unexpected\)::/);
    expect(lines[0]).not.toContain('\n');
    const quiet = faultline('check', 'twophase', '--variant', 'commit-without-all-prepared', '--github', '--save', join(dir, 'found'));
    expect([quiet.code, quiet.stdout.includes('::')]).toEqual([0, false]);
  });

  it('escapes data and properties as GitHub reads workflow commands', () => {
    expect(escapeData('100% done\r\nnext')).toBe('100%25 done%0D%0Anext');
    expect(escapeProperty('traces/a,b: c')).toBe('traces/a%2Cb%3A c');
    expect(command('error', { file: 'traces/twopc/x.json', title: 'a: b, c' }, 'line 1\nline 2')).toBe('::error file=traces/twopc/x.json,title=a%3A b%2C c::line 1%0Aline 2');
    expect(command('warning', {}, 'plain')).toBe('::warning::plain');
  });
});

describe('the CI workflow\'s sharded simulation', () => {
  it('three shards merged give the report of the unsharded campaign', () => {
    const workflow = readFileSync(join(root, 'docs', 'ci', 'github-actions.yml'), 'utf8');
    expect(workflow).toMatch(/npx faultline simulate .*--shard "\$\{\{ matrix\.shard \}\}\/\$\{\{ strategy\.job-total \}\}" --json/);
    expect(workflow).toMatch(/npx faultline merge .*--json/);
    // The workflow's steps on a small campaign: a planted bug, so that violations are merged too.
    const campaign = ['simulate', 'twophase', '--variant', 'commit-without-all-prepared', '--runs', '300', '--seed', '7'];
    const whole = faultline(...campaign, '--json');
    expect(whole.code).toBe(1);
    const files = [1, 2, 3].map((i) => {
      const shard = faultline(...campaign, '--shard', `${i}/3`, '--json');
      expect(shard.code).toBeLessThanOrEqual(1);
      const file = join(dir, `shard-${i}.json`);
      writeFileSync(file, shard.stdout);
      return file;
    });
    const merged = faultline('merge', ...files, '--json');
    expect(merged.code).toBe(1);
    const same = (text: string) => {
      const { elapsedMs: _e, saved: _s, ...report } = JSON.parse(text) as Record<string, unknown>;
      return report;
    };
    const m = same(merged.stdout);
    expect(m).toEqual(same(whole.stdout));
    expect(m).toMatchObject({ runs: 300, runsTotal: 300, shard: { index: 1, count: 1 } });
    expect((m.violations as unknown[]).length).toBeGreaterThan(0);
  });
});
