// Symmetry reduction is exact: with --symmetry the explorer counts each orbit of the declared
// interchangeable ids once, and the counts agree with a brute-force count of orbits over the
// full state space (every permutation of every reachable state).

import { describe, expect, it } from 'vitest';
import { explore } from '../src/explore/explore.ts';
import { withDefaults, type Model, type ModelDefinition } from '../src/core/model.ts';
import { canonicalJson } from '../src/core/data.ts';
import { Canonicalizer } from '../src/explore/symmetry.ts';
import { Codec } from '../src/core/codec.ts';
import { twoPhase, type TwoPhaseAction, type TwoPhaseState } from '../models/twophase/index.ts';
import { twoPcDefinition } from '../models/twopc/index.ts';
import { threePcDefinition } from '../models/threepc/index.ts';
import { resolveParams } from '../src/core/model.ts';
import { findModel, findScenario, runCheck, scenarioCheck, variantCheck, type Outcome } from '../src/verify/index.ts';
import { replayPath } from '../src/explore/path.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../src/cli/faultline.js', import.meta.url));

function faultline(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every reachable state, by plain BFS over canonical JSON. */
function reachable<S, A>(model: Model<S, A>): S[] {
  const seen = new Map<string, S>();
  let level = [...model.init];
  for (const s of level) seen.set(canonicalJson(s), s);
  while (level.length > 0) {
    const next: S[] = [];
    for (const s of level) {
      for (const a of model.actions(s)) {
        const t = model.step(s, a);
        const key = canonicalJson(t);
        if (!seen.has(key)) {
          seen.set(key, t);
          next.push(t);
        }
      }
    }
    level = next;
  }
  return [...seen.values()];
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

/** Orbits by brute force: a state's orbit is named by the least canonical JSON of all its
 * renamings. */
function bruteForceOrbits<S, A>(model: Model<S, A>): number {
  const symmetry = model.symmetry!;
  const perms = permutations(symmetry.size);
  const names = new Set<string>();
  for (const s of reachable(model)) {
    let least: string | undefined;
    for (const p of perms) {
      const key = canonicalJson(symmetry.permute(s, p));
      if (least === undefined || key < least) least = key;
    }
    names.add(least!);
  }
  return names.size;
}

/** The faithful model at `given` explored with and without symmetry: it holds, and its orbit
 * count is the brute-force one. Returns [distinct states, orbits]. */
function orbitsAgainstBruteForce(def: ModelDefinition, given: Record<string, number>): number[] {
  const model = def.create(resolveParams(def, given), 'default');
  const r = explore(model, { symmetry: true });
  expect(r.status).toBe('holds');
  expect(r.distinctStates).toBe(bruteForceOrbits(model));
  return [explore(model).distinctStates, r.distinctStates];
}

describe('symmetry reduction', () => {
  it('TwoPhase with 1 to 5 RMs explores exactly as many orbits as a brute-force count over the full state space finds', () => {
    const counts: number[] = [];
    for (let rm = 1; rm <= 5; rm++) {
      const model = twoPhase(rm);
      const r = explore(model, { symmetry: true });
      expect(r.status).toBe('holds');
      expect(r.distinctStates).toBe(bruteForceOrbits(model));
      counts.push(r.distinctStates);
    }
    // Orbits, and distinct states without symmetry (TLC's 288 and 8,832 for 3 and 5 RMs).
    expect(counts).toEqual([12, 34, 80, 166, 314]);
    expect([1, 2, 3, 4, 5].map((rm) => explore(twoPhase(rm)).distinctStates)).toEqual([12, 56, 288, 1568, 8832]);
  });

  it('2PC with its participants interchangeable explores exactly the brute-force number of orbits', () => {
    const counts = [{ participants: 2, crashesMax: 1 }, { participants: 2, crashesMax: 2 }].map((given) => orbitsAgainstBruteForce(twoPcDefinition, given));
    expect(counts).toEqual([[10460, 5300], [23474, 11878]]);
  }, 120_000);

  it('3PC with its participants interchangeable explores exactly the brute-force number of orbits', () => {
    const rows: Record<string, number>[] = [
      { participants: 3, partitionsMax: 0, crashesMax: 1, crashCoordinatorOnly: 1 },
      { participants: 2, network: 1, duplicatesMax: 1, partitionsMax: 0, crashesMax: 1, crashCoordinatorOnly: 1 },
    ];
    expect(rows.map((given) => orbitsAgainstBruteForce(threePcDefinition, given))).toEqual([[36_897, 6_728], [10_891, 5_512]]);
  }, 240_000);

  it('sorting by the key first names the same orbits as trying every order of the ids', () => {
    // Without a key every order of the RMs is tried; with it, only orders among ties. The two
    // may pick different representatives, but must split the states into the same orbits.
    const model = twoPhase(4);
    const symmetry = model.symmetry!;
    const codec = new Codec(model.schema!);
    const keyed = new Canonicalizer(symmetry as never, codec);
    const { key: _key, ...rest } = symmetry;
    const plain = new Canonicalizer(rest as never, codec);
    const keyedOf = new Map<string, string>();
    const plainOf = new Map<string, string>();
    for (const s of reachable(model)) {
      const k = canonicalJson(keyed.representative(s));
      const p = canonicalJson(plain.representative(s));
      expect(keyedOf.get(p) ?? k).toBe(k);
      expect(plainOf.get(k) ?? p).toBe(p);
      keyedOf.set(p, k);
      plainOf.set(k, p);
    }
    expect(keyedOf.size).toBe(166);
  });

  it('TwoPhase\'s commit-without-all-prepared bug still breaks TCConsistent under symmetry, in the same 5 steps, and the run replays', () => {
    const model = twoPhase(4, 'commit-without-all-prepared');
    const plain = explore(model);
    const reduced = explore(model, { symmetry: true });
    expect(reduced.status).toBe('violation');
    expect(reduced.violations[0].property).toBe('TCConsistent');
    expect(reduced.violations[0].steps).toBe(plain.violations[0].steps);
    expect(reduced.violations[0].steps).toBe(5);
    const run = replayPath(withDefaults(model as Model<TwoPhaseState, TwoPhaseAction>), reduced.violations[0].path);
    const last = run.steps[run.steps.length - 1].state as TwoPhaseState;
    expect(model.invariants.find((i) => i.name === 'TCConsistent')!.check(last)).toMatch(/committed while .* aborted/);
  });

  it('--symmetry on a model that declares no symmetry is one line of bad input, exit 2', () => {
    const r = faultline('check', 'paxos', '--symmetry');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--symmetry needs a model that declares interchangeable ids/);
  });

  it('check --all has symmetry rows: TwoPhase\'s and 2PC\'s default rows and 3PC\'s atomic-under-coordinator-crash up to renaming, whose verdicts say they count orbits', () => {
    const counts = (o: Outcome) => [o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth];
    const rows = [['twophase', 'symmetric-rms'], ['twopc', 'symmetric-participants'], ['threepc', 'symmetric-participants']].map(([model, scenario]) => {
      const def = findModel(model);
      const reduced = runCheck(scenarioCheck(def, findScenario(def, scenario)));
      expect(reduced.matchesExpected).toBe(true);
      expect(reduced.verdict).toMatch(/^holds \(exhausted\); distinct counts orbits of the 3 interchangeable (RMs|participants)$/);
      // 3PC's default row violates Atomicity (a partition): its symmetric row is atomic-under-coordinator-crash's.
      const plain = model === 'threepc' ? scenarioCheck(def, findScenario(def, 'atomic-under-coordinator-crash')) : variantCheck(def);
      return [counts(runCheck(plain)), counts(reduced)];
    });
    expect(rows).toEqual([
      [['holds', 288, 1_146, 11], ['holds', 80, 318, 11]],
      [['holds', 576_587, 3_470_386, 23], ['holds', 99_821, 601_197, 23]],
      [['holds', 36_897, 149_004, 27], ['holds', 6_728, 27_014, 27]],
    ]);
  }, 240_000);

  it('check --symmetry reports the orbits it explored', () => {
    const r = faultline('check', 'twophase', '--param', 'rm=5', '--symmetry');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/symmetry: 314 orbits of the 5 interchangeable RMs explored/);
  });

  it('a symmetry row checked on its own says it counts orbits, in text and in JSON', () => {
    const text = faultline('check', 'twophase', '--scenario', 'symmetric-rms');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('result:     holds (exhausted); distinct counts orbits of the 3 interchangeable RMs');
    expect(text.stdout).toContain('symmetry: 80 orbits of the 3 interchangeable RMs explored');
    const json = JSON.parse(faultline('check', 'twophase', '--scenario', 'symmetric-rms', '--json').stdout);
    expect([json.distinctStates, json.symmetry, json.verdict]).toEqual([80, { ids: 'RMs', size: 3 }, 'holds (exhausted); distinct counts orbits of the 3 interchangeable RMs']);
  });
});
