// 2PC and 3PC on a network that does what real ones do: duplicate, lose and reorder messages
// (network=1, an unordered multiset), against the set network of every other row, where equal
// messages in flight merge and a duplicate cannot happen (models/twopc/common.ts says what the
// set relies on). Each planted duplicate-handling bug is invisible on the set and found on the
// multiset once a message may be duplicated.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { explore, type Violation } from '../src/explore/explore.ts';
import { checkWithFastCheck } from '../src/check/runner.ts';
import { loadTrace, replayTrace, traceFromRun } from '../src/trace/trace.ts';
import { InputError, type AnyCompleteModel, type ModelDefinition } from '../src/core/model.ts';
import type { Envelope, SystemState } from '../src/core/actors.ts';
import { buildRegistered, findScenario, instantiate, runCheck, scenarioCheck } from '../src/verify/index.ts';
import { twoPcDefinition } from '../models/twopc/index.ts';
import { threePcDefinition } from '../models/threepc/index.ts';

type Params = Record<string, number>;
const traces = join(import.meta.dirname, '..', 'traces');

/** [status, distinct, total, depth] of an exhaustive BFS of `variant` at `params` (on top of
 * the variant's own). */
function figures(def: ModelDefinition, variant: string, params: Params = {}) {
  const r = explore(instantiate(def, variant, params).model);
  return [r.status, r.distinctStates, r.totalStates, r.depth];
}

/** The shortest violation of `variant` at its own params. */
function shortest(def: ModelDefinition, variant: string): { violation: Violation; params: Params } {
  const { model, params } = instantiate(def, variant);
  const r = explore(model);
  expect(r.violations).toHaveLength(1);
  return { violation: r.violations[0], params };
}

/** The violation, saved as a trace of the registered model, replays step by step and reproduces. */
function replays(def: ModelDefinition, variant: string, params: Params, v: Violation): boolean {
  const trace = traceFromRun({ model: def.name, variant, params, property: v.property, outcome: 'violation' }, v.run);
  return replayTrace(trace, `${def.name}-${variant}.json`, buildRegistered).reproduced;
}

/** The saved counterexample under traces/ replays, with the minimal length and property. */
function savedTrace(file: string): [string, number, boolean] {
  const trace = loadTrace(join(traces, file));
  return [trace.property, trace.steps.length, replayTrace(trace, file, buildRegistered).reproduced];
}

/** A safety scenario's row as check --all runs it: its figures, verdict and witnesses. */
function scenarioRow(def: ModelDefinition, name: string) {
  const o = runCheck(scenarioCheck(def, findScenario(def, name)));
  const s = o.summary;
  if (o.result.kind !== 'safety') throw new Error(`${name} is not a safety scenario`);
  return {
    figures: [s.status, s.distinctStates, s.totalStates, s.depth],
    verdict: [o.matchesExpected, o.verdict],
    witnesses: o.result.explore.witnesses.map((w) => [w.name, w.reached]),
  };
}

describe('the network param', () => {
  it('the set network stays the default, so every row that does not ask for network=1 is checked as before', () => {
    expect(instantiate(twoPcDefinition).params).toMatchObject({ network: 0, duplicatesMax: 0 });
    expect(instantiate(threePcDefinition).params).toMatchObject({ network: 0, duplicatesMax: 0 });
    // The figures of 2PC with 2 participants before the network param existed.
    expect(figures(twoPcDefinition, 'default', { participants: 2 })).toEqual(['holds', 10_460, 45_218, 17]);
  });

  it('a duplicate budget on the set network is refused in one line, since a copy would merge with its original', () => {
    for (const def of [twoPcDefinition, threePcDefinition]) {
      expect(() => instantiate(def, 'default', { duplicatesMax: 1 })).toThrow(InputError);
      expect(() => instantiate(def, 'default', { duplicatesMax: 1 })).toThrow(/^duplicatesMax=1 needs network=1: on the set network a copy merges/);
    }
  });

  it('on the unordered network retransmission keeps the 2PC network finite: per participant at most one decision and one Ack in flight, plus one per duplicate and per crash', () => {
    const { model } = instantiate(twoPcDefinition, 'default', { participants: 2, network: 1, duplicatesMax: 1, dropsMax: 1, crashesMax: 1 });
    type Sys = SystemState<unknown, { type: string }, unknown, never, never>;
    const copies = (sys: Sys, p: string, types: readonly string[]) =>
      sys.network.filter((e: Envelope<{ type: string }>) => (e.to === p || e.from === p) && types.includes(e.msg.type)).length;
    const copiesBounded = {
      name: 'CopiesBounded',
      check: (sys: Sys) => {
        const allowed = 1 + sys.faults.duplicates + sys.faults.crashes;
        for (const p of ['p1', 'p2']) {
          for (const types of [['Commit', 'Abort'], ['Ack']]) {
            const n = copies(sys, p, types);
            if (n > allowed) return `${n} ${types.join('/')} messages of ${p} in flight, at most ${allowed} expected`;
          }
        }
        return undefined;
      },
    };
    const checked: AnyCompleteModel = { ...model, invariants: [...model.invariants, copiesBounded] };
    const r = explore(checked);
    // The figures of the atomic-on-unordered-network row: the extra invariant holds everywhere.
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 86_745, 420_197, 19]);
  });
});

describe('two-phase commit on the unordered network', () => {
  it('keeps atomicity, commit validity and decisions with a duplicate, a lost message and a crash (2 participants), committing and aborting', () => {
    const row = scenarioRow(twoPcDefinition, 'atomic-on-unordered-network');
    expect(row.figures).toEqual(['holds', 86_745, 420_197, 19]);
    expect(row.verdict).toEqual([true, 'holds (exhausted)']);
    expect(row.witnesses).toEqual([['a run commits', true], ['a run aborts', true]]);
  });

  it('a coordinator that counts yes votes instead of recording whose they are is invisible on the set network, where no vote is duplicated', () => {
    expect(figures(twoPcDefinition, 'coordinator-counts-votes', { network: 0, duplicatesMax: 0 })).toEqual(['holds', 10_172, 44_138, 17]);
    // Reordering and loss alone do not reach it either: it takes a duplicate.
    expect(figures(twoPcDefinition, 'coordinator-counts-votes', { duplicatesMax: 0, dropsMax: 1 })).toEqual(['holds', 12_782, 49_957, 17]);
  });

  it('a coordinator that counts yes votes commits without p2 voting in 6 steps once p1\'s yes vote is duplicated', () => {
    const { violation, params } = shortest(twoPcDefinition, 'coordinator-counts-votes');
    expect([violation.property, violation.steps]).toEqual(['CommitValidity', 6]);
    expect(violation.message).toMatch(/^p\d committed but p\d never voted$/);
    expect(violation.run.steps.filter((s) => s.label.startsWith('duplicate '))).toHaveLength(1);
    expect(replays(twoPcDefinition, 'coordinator-counts-votes', params, violation)).toBe(true);
    expect(savedTrace('twopc/coordinator-counts-votes-commitvalidity.json')).toEqual(['CommitValidity', 6, true]);
  });

  it('random schedules with duplicates, loss and crashes never break 2PC with 3 participants on the unordered network', () => {
    const params = { participants: 3, network: 1, duplicatesMax: 2, dropsMax: 1, crashesMax: 2 };
    const r = checkWithFastCheck(twoPcDefinition, 'default', params, { numRuns: 300, depthMax: 60, seed: 5 });
    expect(r.ok, r.failure?.message).toBe(true);
  });
});

describe('three-phase commit on the unordered network', () => {
  it('keeps every invariant with two duplicates and the coordinator crashing, without partition or loss (2 participants), committing and aborting', () => {
    const row = scenarioRow(threePcDefinition, 'atomic-on-unordered-network');
    expect(row.figures).toEqual(['holds', 48_564, 199_954, 22]);
    expect(row.verdict).toEqual([true, 'holds (exhausted)']);
    expect(row.witnesses).toEqual([['a run commits', true], ['a run aborts', true]]);
  });

  it('splits its decision on one lost PreCommit in 11 steps, on the unordered network as on the set: 3PC needs reliable delivery too', () => {
    for (const network of [0, 1]) {
      const params = { participants: 2, network, dropsMax: 1, partitionsMax: 0, crashCoordinatorOnly: 1 };
      const r = explore(instantiate(threePcDefinition, 'default', params).model);
      const v = r.violations[0];
      expect([v.property, v.steps]).toEqual(['Atomicity', 11]);
      expect(v.run.steps.map((s) => s.label)).toContainEqual(expect.stringMatching(/^drop coord->p\d PreCommit$/));
      expect(replays(threePcDefinition, 'default', params, v)).toBe(true);
    }
  });

  it('a participant that takes a duplicated CanCommit as a new question is invisible on the set network and harmless without a duplicate', () => {
    // On the set: the faithful protocol's own figures at these params (properties/commit.test.ts).
    expect(figures(threePcDefinition, 'participant-revotes-on-duplicate', { network: 0, duplicatesMax: 0 })).toEqual(['holds', 1180, 3066, 19]);
    expect(figures(threePcDefinition, 'participant-revotes-on-duplicate', { duplicatesMax: 0 })).toEqual(['holds', 1486, 3844, 20]);
    // The faithful protocol at the bug's own params holds.
    expect(figures(threePcDefinition, 'default', { participants: 2, network: 1, duplicatesMax: 1, partitionsMax: 0, crashCoordinatorOnly: 1 }))
      .toEqual(['holds', 10_891, 36_912, 21]);
  });

  it('a participant that votes again on a duplicated CanCommit, no this time, aborts while the other commits, in 12 steps', () => {
    const { violation, params } = shortest(threePcDefinition, 'participant-revotes-on-duplicate');
    expect([violation.property, violation.steps]).toEqual(['Atomicity', 12]);
    expect(violation.message).toMatch(/^p\d committed while p\d aborted$/);
    const labels = violation.run.steps.map((s) => s.label);
    expect(labels.filter((l) => /^duplicate coord->p\d CanCommit$/.test(l))).toHaveLength(1);
    // One participant votes twice: yes, then no on the duplicate.
    const no = labels.find((l) => / votes no$/.test(l))!;
    const revoter = no.split(' ')[0];
    expect(labels.filter((l) => l === `${revoter} votes yes`)).toHaveLength(1);
    expect(labels.indexOf(`${revoter} votes yes`) < labels.indexOf(no)).toBe(true);
    expect(replays(threePcDefinition, 'participant-revotes-on-duplicate', params, violation)).toBe(true);
    expect(savedTrace('threepc/participant-revotes-on-duplicate-atomicity.json')).toEqual(['Atomicity', 12, true]);
  });

  it('random schedules with duplicates and coordinator crashes never break 3PC with 3 participants on the unordered network', () => {
    const params = { participants: 3, network: 1, duplicatesMax: 2, partitionsMax: 0, crashesMax: 2, crashCoordinatorOnly: 1 };
    const r = checkWithFastCheck(threePcDefinition, 'default', params, { numRuns: 300, depthMax: 60, seed: 5 });
    expect(r.ok, r.failure?.message).toBe(true);
  });
});
