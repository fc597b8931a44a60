// The `faultline` command as a user runs it: exit codes 0/1/2/3, one-line errors for bad input.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveParams } from '../src/core/model.ts';
import { models } from '../models/index.ts';

const bin = join(import.meta.dirname, '..', 'src', 'cli', 'faultline.js');
/** The valid choices an error names, as the registry has them. */
const twopcScenarios = (models.find((m) => m.name === 'twopc')!.scenarios ?? []).map((c) => c.name).join(', ');

function faultline(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('faultline CLI', () => {
  it('check of the faithful TwoPhase port prints TLC-comparable statistics and exits 0', () => {
    const r = faultline('check', 'twophase');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('holds (exhausted)');
    expect(r.stdout).toContain('288 distinct, 1,146 total, depth 11');
  });

  it('--json prints one object with the documented fields', () => {
    const r = faultline('check', 'twophase', '--param', 'rm=2', '--variant', 'rm-aborts-after-prepare', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    // The fields README.md lists for `check --json`.
    for (const key of ['model', 'variant', 'params', 'status', 'distinctStates', 'totalStates', 'depth', 'elapsedMs', 'statesPerSecond', 'bytesPerState', 'violations', 'witnesses']) {
      expect(out).toHaveProperty(key);
    }
    expect(out.status).toBe('violation');
    expect(out.violations[0]).toMatchObject({ property: 'TCConsistent', kind: 'invariant', steps: 7 });
    expect(out.violations[0].trace.steps).toHaveLength(7);
  });

  it('a planted bug whose violation cannot happen at the given params exits 1: the expected violation is not found in the exhausted space', () => {
    // With one RM, an RM that aborts on its own after preparing has no other RM to disagree with.
    const r = faultline('check', 'twophase', '--variant', 'rm-aborts-after-prepare', '--param', 'rm=1');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('expected violation of TCConsistent NOT found (space exhausted)');
    expect(r.stdout).toContain('15 distinct, 31 total, depth 5');
  });

  it('a planted bug whose violation lies beyond the depth bound is reported as not found within bounds, naming the bound, and exits 3 (not verified)', () => {
    // abort-after-commit needs 4 steps (ports.test.ts); depth 2 is the initial state and one step.
    const r = faultline('check', 'tcommit', '--variant', 'abort-after-commit', '--param', 'rm=2', '--depth-max', '2');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('expected violation of TCConsistent not found within bounds (search cut by depthMax)');
    expect(r.stdout).not.toContain('Invariant TCConsistent violated');
  });

  it('a bounded search never says holds, and exits 3 (not verified)', () => {
    const r = faultline('check', 'twophase', '--param', 'rm=4', '--states-max', '100');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('NOT verified');
    expect(r.stdout).not.toContain('holds (exhausted)');
  });

  it('--save writes a counterexample that replay reproduces', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-cli-'));
    const check = faultline('check', 'twophase', '--param', 'rm=2', '--variant', 'rm-aborts-after-prepare', '--save', dir);
    expect(check.code).toBe(0);
    const file = join(dir, 'twophase', 'rm-aborts-after-prepare-tcconsistent.json');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { property: string; steps: { label: string }[] };
    expect([saved.property, saved.steps.length]).toEqual(['TCConsistent', 7]);
    const replay = faultline('replay', file);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/^reproduced: TCConsistent violated: rm\d committed while rm\d aborted$/m);
    // replay walks the saved steps, in order
    const shown = [...replay.stdout.matchAll(/^ {2}(\d+)\. (.*)$/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(shown).toEqual([[0, expect.stringMatching(/^initial state /)], ...saved.steps.map((s, i) => [i + 1, s.label])]);
  });

  it.each([
    [['check', 'nosuch'], /^faultline: unknown model 'nosuch' \(models: tcommit, twophase, paxoscommit, /],
    [['check', 'twopc', '--scenario', 'nosuch'], new RegExp(`^faultline: model 'twopc' has no scenario 'nosuch' \\(scenarios: ${twopcScenarios}\\)$`, 'm')],
    [['check', 'twophase', '--variant', 'nosuch'], /^faultline: model 'twophase' has no variant 'nosuch'/],
    [['check', 'twophase', '--param', 'x=1'], /^faultline: model 'twophase' has no param 'x'/],
    [['check', 'twophase', '--param', 'rm=three'], /^faultline: --param rm must be an integer, got 'three'/],
    [['check', 'twophase', '--param', 'rm=0'], /^faultline: param rm=0 is out of range/],
    [['check', 'twophase', '--depth-max', 'ten'], /^faultline: --depth-max must be a positive integer, got 'ten'/],
    [['check', 'twophase', '--states-max=-5'], /^faultline: --states-max must be a positive integer, got '-5'/],
    [['check', 'twophase', '--states-max', '-5'], /^faultline: option '--states-max' needs a value/],
    [['check', 'twophase', '--depth-max'], /^faultline: option '--depth-max' needs a value/],
    [['check', 'twophase', '--time-limit', 'soon'], /^faultline: --time-limit must be a positive number of seconds/],
    [['check', 'twophase', '--strategy', 'random'], /^faultline: --strategy must be one of bfs, dfs/],
    [['check', 'twophase', '--frobnicate'], /^faultline: unknown option '--frobnicate'/],
    [['check'], /^faultline: check needs a model name, or --all/],
    [['frob'], /^faultline: unknown command 'frob'/],
    [['replay', '/nonexistent/trace.json'], /^faultline: \/nonexistent\/trace.json: cannot read trace \(ENOENT\)/],
  ])('bad input %j exits 2 with a one-line error', (args, message) => {
    const r = faultline(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('a stale trace exits 2 naming the file and the step', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-cli-'));
    const file = join(dir, 'stale.json');
    writeFileSync(
      file,
      JSON.stringify({
        format: 'faultline-trace', version: 1, model: 'twophase', variant: 'default', params: { rm: 2 },
        property: 'TCConsistent', outcome: 'violation', init: 0,
        steps: [{ label: 'TM -> all Commit', action: { kind: 'TMCommit' } }],
      }),
    );
    const r = faultline('replay', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: step 1 (TM -> all Commit): action is not enabled here`);
  });

  it('list --json describes every registered model with its params, variants and properties', () => {
    const r = faultline('list', '--json');
    expect(r.code).toBe(0);
    type Listed = {
      name: string;
      params: { name: string; default: number }[];
      variants: { name: string; expect: unknown }[];
      properties: { invariants: string[]; stepInvariants?: string[]; sometimes: string[] };
    };
    const listed = JSON.parse(r.stdout).models as Listed[];
    expect(listed.map((m) => m.name)).toEqual(models.map((def) => def.name));
    for (const [i, def] of models.entries()) {
      const model = def.create(resolveParams(def, {}), def.variants[0].name);
      const m = listed[i];
      expect([m.params.map((p) => [p.name, p.default]), m.variants.map((v) => [v.name, v.expect]), m.properties], def.name).toEqual([
        def.params.map((p) => [p.name, p.default]),
        def.variants.map((v) => [v.name, v.expect]),
        {
          invariants: model.invariants.map((inv) => inv.name),
          ...(model.stepInvariants === undefined ? {} : { stepInvariants: model.stepInvariants.map((inv) => inv.name) }),
          sometimes: model.sometimes.map((w) => w.name),
        },
      ]);
    }
  });
});

describe('check --continue', () => {
  it('reports every property the space violates, each with its shortest trace, as TLC -continue', () => {
    const r = faultline('check', 'threepc', '--param', 'participants=2', '--continue', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect([out.status, out.distinctStates, out.violations.map((v: { property: string; steps: number }) => [v.property, v.steps])]).toEqual([
      'violation', 11_568, [['Atomicity', 10], ['NoReversal', 12]],
    ]);
  });
});
