// Every trace saved under traces/ is a regression test: it must still replay step for step and
// reproduce its recorded outcome. Next to each trace is its text transcript, which a reviewer
// reads in a diff; it must be exactly what `faultline replay --rewrite` writes now (etcd-raft's
// datadriven testdata and its -rewrite flag).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildRegistered } from '../src/verify/index.ts';
import { InputError } from '../src/core/model.ts';
import { loadTrace, replayTrace, TraceError } from '../src/trace/trace.ts';
import { transcriptFileName, transcriptOf } from '../src/trace/transcript.ts';
import { replayCommand } from '../src/cli/replay.ts';

const root = join(import.meta.dirname, '..', 'traces');
const REWRITE = 'run `npx faultline replay --rewrite` and review the diff';

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path, ext);
    return name.endsWith(ext) ? [path] : [];
  });
}

/** The transcript a trace file should have next to it, generated now. */
function expectedTranscript(file: string): string {
  const trace = loadTrace(file);
  return transcriptOf(trace, replayTrace(trace, file, buildRegistered));
}

/** What is wrong with the transcripts under a directory: a trace without one, a stale one, or
 * one whose trace is gone. Empty when every transcript is what --rewrite would write. */
function transcriptProblems(dir: string): string[] {
  const problems: string[] = [];
  for (const file of filesUnder(dir, '.json')) {
    const txt = transcriptFileName(file);
    if (!existsSync(txt)) problems.push(`${relative(dir, file)}: no transcript`);
    else if (readFileSync(txt, 'utf8') !== expectedTranscript(file)) problems.push(`${relative(dir, txt)}: stale`);
  }
  for (const txt of filesUnder(dir, '.txt')) {
    if (!existsSync(txt.replace(/\.txt$/, '.json'))) problems.push(`${relative(dir, txt)}: no trace next to it`);
  }
  return problems;
}

const files = filesUnder(root, '.json');

describe('saved traces replay', () => {
  it('there are saved traces to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files.map((f) => [relative(root, f), f]))('%s reproduces its recorded outcome', (_name, file) => {
    const trace = loadTrace(file);
    const r = replayTrace(trace, file, buildRegistered);
    expect(r.observed).toBeTruthy();
    expect(r.reproduced, r.observed).toBe(true);
  });
});

describe('saved traces have up-to-date transcripts', () => {
  it.each(files.map((f) => [relative(root, f), f]))('%s has a transcript equal to the one generated now', (name, file) => {
    const txt = transcriptFileName(file);
    expect(existsSync(txt), `${name} has no transcript ${relative(root, txt)}: ${REWRITE}`).toBe(true);
    expect(readFileSync(txt, 'utf8'), `${relative(root, txt)} is stale: ${REWRITE}`).toBe(expectedTranscript(file));
  });

  it('every transcript under traces/ has its trace next to it', () => {
    const orphans = filesUnder(root, '.txt').filter((txt) => !existsSync(txt.replace(/\.txt$/, '.json')));
    expect(orphans.map((f) => relative(root, f)), 'delete the transcripts of deleted traces').toEqual([]);
  });

  it('the transcript of an actor-system trace has its header, its steps, the sequence chart and the outcome', () => {
    const text = expectedTranscript(join(root, 'threepc', 'default-atomicity.json'));
    expect(text).toContain('model:           threepc\nvariant:         default\n');
    expect(text).toContain('  11. partition {coord} | {p1,p2,p3}\n');
    expect(text).toMatch(/\nchart:\n +coord +p1 +p2 +p3\n/);
    expect(text.endsWith('\nreproduced: Atomicity violated: p1 committed while p2 aborted\n')).toBe(true);
  });

  it('a trace of a model that is not an actor system has no chart, and a lasso says where its cycle starts', () => {
    expect(expectedTranscript(join(root, 'twophase', 'commit-without-all-prepared-tcconsistent.json'))).not.toContain('chart:');
    expect(expectedTranscript(join(root, 'paxos', 'default-livelock.json'))).toContain('cycle:           steps 9-22 return to the state after step 8\n');
  });

  it('the transcript file of x.json is x.txt', () => {
    expect(transcriptFileName('traces/threepc/default-atomicity.fast-check.json')).toBe('traces/threepc/default-atomicity.fast-check.txt');
    expect(() => transcriptFileName('traces/notes.md')).toThrow(InputError);
  });
});

describe('replay --rewrite', () => {
  let out: string[];
  let err: string[];
  beforeEach(() => {
    out = [];
    err = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** A temporary traces directory holding copies of the given traces under their model folder. */
  function tempTraces(...names: string[]): string {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-transcripts-'));
    for (const name of names) {
      mkdirSync(join(dir, name.split('/')[0]), { recursive: true });
      copyFileSync(join(root, name), join(dir, name));
    }
    return dir;
  }

  const twophase = 'twophase/commit-without-all-prepared-tcconsistent';
  const threepc = 'threepc/default-atomicity';

  it('a trace with no transcript, a stale transcript or a transcript without its trace is detected', () => {
    const dir = tempTraces(`${twophase}.json`);
    expect(transcriptProblems(dir)).toEqual([`${twophase}.json: no transcript`]);
    const fresh = expectedTranscript(join(dir, `${twophase}.json`));
    writeFileSync(join(dir, `${twophase}.txt`), fresh.replace('rm1 committed', 'rm1 aborted'));
    expect(transcriptProblems(dir)).toEqual([`${twophase}.txt: stale`]);
    writeFileSync(join(dir, `${twophase}.txt`), fresh);
    writeFileSync(join(dir, 'twophase', 'deleted.txt'), fresh);
    expect(transcriptProblems(dir)).toEqual(['twophase/deleted.txt: no trace next to it']);
  });

  it('rewrites every transcript under a directory, after which the check passes, and a second run changes nothing', () => {
    const dir = tempTraces(`${twophase}.json`, `${threepc}.json`);
    expect(transcriptProblems(dir)).toHaveLength(2);
    expect(replayCommand(['--rewrite', dir])).toBe(0);
    expect(out).toEqual([
      `wrote ${join(dir, `${threepc}.txt`)} (new)`,
      `wrote ${join(dir, `${twophase}.txt`)} (new)`,
    ]);
    expect(transcriptProblems(dir)).toEqual([]);
    writeFileSync(join(dir, `${twophase}.txt`), 'stale\n');
    out = [];
    expect(replayCommand(['--rewrite', join(dir, `${twophase}.json`), join(dir, `${threepc}.json`)])).toBe(0);
    expect(out).toEqual([
      `wrote ${join(dir, `${twophase}.txt`)} (changed)`,
      `wrote ${join(dir, `${threepc}.txt`)} (unchanged)`,
    ]);
    expect(err).toEqual([]);
  });

  it('writes the same transcript wherever the trace lives: nothing in it depends on the machine or the path', () => {
    const dir = tempTraces(`${threepc}.json`);
    expect(replayCommand(['--rewrite', dir])).toBe(0);
    expect(readFileSync(join(dir, `${threepc}.txt`), 'utf8')).toBe(readFileSync(join(root, `${threepc}.txt`), 'utf8'));
  });

  it('reports a trace that no longer reproduces or no longer replays, exits 1, and still writes the others', () => {
    const dir = tempTraces(`${twophase}.json`, `${threepc}.json`);
    // The twophase run cut before its last step: it replays, but TCConsistent holds at its end.
    const trace = JSON.parse(readFileSync(join(dir, `${twophase}.json`), 'utf8'));
    writeFileSync(join(dir, `${twophase}.json`), JSON.stringify({ ...trace, steps: trace.steps.slice(0, -1) }));
    // A step that is not enabled in the initial state: the trace no longer fits the model.
    writeFileSync(join(dir, 'twophase', 'stale.json'), JSON.stringify({ ...trace, steps: [{ label: 'TM -> all Commit', action: { kind: 'TMCommit' } }] }));
    expect(replayCommand(['--rewrite', dir])).toBe(1);
    expect(out).toEqual([`wrote ${join(dir, `${threepc}.txt`)} (new)`]);
    expect(err).toHaveLength(3);
    expect(err[0]).toBe(`faultline: ${join(dir, `${twophase}.json`)}: NOT reproduced: TCConsistent holds in the last state`);
    expect(err[1].startsWith(`faultline: ${join(dir, 'twophase', 'stale.json')}: step 1 (TM -> all Commit): action is not enabled here`)).toBe(true);
    expect(err[2]).toBe('faultline: 2 of 3 traces did not replay or reproduce; their transcripts were not written');
    expect(existsSync(join(dir, `${twophase}.txt`))).toBe(false);
  });

  it('an unreadable trace is bad input (exit 2 in main) and nothing is written', () => {
    const dir = tempTraces(`${twophase}.json`);
    writeFileSync(join(dir, 'twophase', 'broken.json'), '{ not json');
    expect(() => replayCommand(['--rewrite', dir])).toThrow(TraceError);
    expect(existsSync(join(dir, `${twophase}.txt`))).toBe(false);
    expect(() => replayCommand(['--rewrite', join(dir, 'nosuch')])).toThrow(/^cannot read .*nosuch \(ENOENT\)$/);
    expect(() => replayCommand(['--rewrite', join(root, '..', 'README.md')])).toThrow(/takes trace files \(\*\.json\) or directories/);
  });

  it('a transcript that cannot be written is a one-line InputError, not a stack trace', () => {
    const dir = tempTraces(`${twophase}.json`);
    mkdirSync(join(dir, `${twophase}.txt`)); // a directory where the transcript should go
    expect(() => replayCommand(['--rewrite', dir])).toThrow(InputError);
    expect(() => replayCommand(['--rewrite', dir])).toThrow(/^cannot write .*commit-without-all-prepared-tcconsistent\.txt \(EISDIR\)$/);
  });

  it('--rewrite does not combine with the options that print one trace', () => {
    expect(() => replayCommand(['--rewrite', '--chart'])).toThrow(/--json, --chart and --html do not apply/);
  });

  it('without --rewrite, replay prints one trace as before', () => {
    expect(replayCommand([join(root, `${threepc}.json`), '--chart'])).toBe(0);
    expect(out.join('\n')).toContain('|---PreCommit-->|');
    expect(out[out.length - 1]).toBe('reproduced: Atomicity violated: p1 committed while p2 aborted');
    expect(() => replayCommand([])).toThrow('replay takes one trace file');
  });
});
