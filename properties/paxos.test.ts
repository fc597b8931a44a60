// Single-decree Paxos as an actor system: agreement under loss, duplication, reordering and
// crashes; the livelock of dueling proposers and progress with a distinguished one; each planted
// bug found with its shortest counterexample; and a swarm over 5 acceptors and 3 proposers.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { explore } from '../src/explore/explore.ts';
import { checkLiveness } from '../src/explore/liveness.ts';
import { simulate } from '../src/explore/simulate.ts';
import { loadTrace, replayTrace, traceFromRun } from '../src/trace/trace.ts';
import { resolveParams } from '../src/core/model.ts';
import { buildRegistered, checksOf, instantiate, runCheck } from '../src/verify/index.ts';
import { paxos, paxosDefinition, type PaxosParams, type PaxosVariant } from '../models/paxos/index.ts';

const traces = join(import.meta.dirname, '..', 'traces', 'paxos');
const build = (variant: string, params: Partial<PaxosParams> = {}) => instantiate(paxosDefinition, variant, params).model;
const labelsOf = (run: { steps: readonly { label: string }[] }) => run.steps.map((s) => s.label);

let defaultResult: ReturnType<typeof explore> | undefined;
const exploreDefault = () => (defaultResult ??= explore(build('default')));

describe('Paxos keeps agreement', () => {
  it('with 2 proposers (one ballot each), 3 acceptors and a learner: 22,603 distinct states, 117,248 generated, depth 33', () => {
    const r = exploreDefault();
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 22_603, 117_248, 33]);
    expect(r.witnesses.map((w) => [w.name, w.depth])).toEqual([
      ['a value is chosen', 8],
      ['two proposers compete', 5],
      ['a proposer re-proposes a value accepted in an earlier ballot', 12],
      ['every learner learns', 10],
    ]);
  });

  it.each([
    ['no fault but reordering', {}, 1_928],
    ['a lost message', { dropsMax: 1 }, 20_089],
    ['a duplicated message', { duplicatesMax: 1 }, 13_738],
    ['an acceptor crash and restart', { crashesMax: 1 }, 42_424],
  ])('under %s, exhaustively without learners', (_name, faults, distinct) => {
    const r = explore(build('default', { learners: 0, ...faults }));
    expect([r.status, r.distinctStates]).toEqual(['holds', distinct]);
    expect(r.witnesses.every((w) => w.reached)).toBe(true);
  });

  it('the saved scenario traces are the shortest runs: a value chosen in one round, and a competing proposer re-proposing it', () => {
    const r = exploreDefault();
    const chosen = loadTrace(join(traces, 'default-value-chosen-in-one-round.json'));
    const repropose = loadTrace(join(traces, 'default-competing-proposer-re-proposes.json'));
    expect(chosen.steps.map((s) => s.label)).toEqual([
      'p1 propose',
      'p1->a1 Prepare (1,p1)',
      'a1->p1 Promise (1,p1) no accepted proposal',
      'p1->a2 Prepare (1,p1)',
      'a2->p1 Promise (1,p1) no accepted proposal',
      'p1->a1 Accept (1,p1) v1',
      'p1->a2 Accept (1,p1) v1',
    ]);
    expect(repropose.steps.map((s) => s.label).slice(6)).toEqual([
      'p2 propose',
      'p2->a1 Prepare (1,p2)',
      'a1->p2 Promise (1,p2) accepted (1,p1)=v1',
      'p2->a3 Prepare (1,p2)',
      'a3->p2 Promise (1,p2) no accepted proposal',
    ]);
    expect([chosen.steps.length + 1, repropose.steps.length + 1]).toEqual(
      ['a value is chosen', 'a proposer re-proposes a value accepted in an earlier ballot'].map((n) => r.witnesses.find((w) => w.name === n)!.depth),
    );
  });
});

describe('Paxos planted bugs are found with their shortest counterexample', () => {
  it.each([
    ['proposer-uses-own-value', 'Agreement', 14, 'two values chosen: v1 (a1,a2 accepted (1,p1)=v1) and v2 (a1,a3 accepted (1,p2)=v2)'],
    ['acceptor-accepts-below-promise', 'Agreement', 14, 'two values chosen: v1 (a1,a2 accepted (1,p1)=v1) and v2 (a1,a3 accepted (1,p2)=v2)'],
    ['acceptor-forgets-promise', 'PromiseNeverDecreases', 4, 'a1 promised (1,p1) earlier but now its promise is none'],
    ['learner-minority', 'LearnedChosen', 7, 'l1 learned v1, which is not chosen (a1 accepted (1,p1)=v1; a quorum is 2 of 3)'],
    ['half-quorum', 'Agreement', 14, 'two values chosen: v1 (a1,a2 accepted (1,p1)=v1) and v2 (a3,a4 accepted (1,p2)=v2)'],
    ['accepted-not-persisted', 'Agreement', 16, 'two values chosen: v1 (a1,a2 accepted (1,p1)=v1) and v2 (a1,a3 accepted (1,p2)=v2)'],
  ])('the %s bug breaks %s in %i steps at its own params', (variant, property, steps, message) => {
    const r = explore(build(variant));
    expect(r.violations[0]).toMatchObject({ property, steps, message });
  });

  it('every counterexample of a planted bug replays to its violation', () => {
    for (const v of paxosDefinition.variants.filter((x) => x.expect.status === 'violation')) {
      const i = instantiate(paxosDefinition, v.name);
      const found = explore(i.model).violations[0];
      const trace = traceFromRun({ model: 'paxos', variant: v.name, params: i.params, property: found.property, outcome: 'violation' }, found.run);
      expect(replayTrace(trace, `${v.name}.json`, buildRegistered).reproduced, v.name).toBe(true);
    }
  });

  it('re-basing ballots changes no verdict: with absolute rounds (a finite space at ballotsMax=2) every variant has the same result', () => {
    // distinguished is left out: within a 2-round window only p1 can retry, so it is default.
    // learner-counts-duplicates needs a learner and proposer-trusts-own-ballot three rounds:
    // paxos-reductions.test.ts compares them with and without re-basing at their own params.
    const elsewhere = ['distinguished', 'learner-counts-duplicates', 'proposer-trusts-own-ballot'];
    for (const v of paxosDefinition.variants.filter((x) => !elsewhere.includes(x.name))) {
      const params = { ...(v.params ?? {}), ballotsMax: 2, learners: v.name === 'learner-minority' ? 1 : 0 };
      const p = resolveParams(paxosDefinition, params) as unknown as PaxosParams;
      const [rebased, absolute] = [true, false].map((rebase) => explore(paxos(p, v.name as PaxosVariant, { rebase })));
      const verdict = (r: ReturnType<typeof explore>) => [r.status, r.violations[0]?.property, r.violations[0]?.steps];
      expect(verdict(absolute), v.name).toEqual(verdict(rebased));
      expect(verdict(rebased)[0], v.name).toBe(v.expect.status);
    }
  });
});

describe('Paxos liveness once faults stop (deliveries and local choices weakly fair, timeouts not)', () => {
  it('dueling proposers pre-empt each other forever: with one acceptor, a lasso of 5 steps then an 8-step cycle', () => {
    const r = checkLiveness(build('default', { acceptors: 1, learners: 0, ballotsMax: 3 }));
    expect([r.complete, r.distinctStates, r.stuckStates]).toEqual([true, 276, 0]);
    expect(r.livelock!.cycleStart).toBe(5);
    expect(labelsOf(r.livelock!.run).slice(5)).toEqual([
      'a1->p2 Promise (1,p2) no accepted proposal',
      'p1->a1 Prepare (2,p1)',
      'a1->p1 Promise (2,p1) no accepted proposal',
      'p2->a1 Accept (1,p2) v2',
      'a1->p2 Nack (1,p2) promised (2,p1)',
      'p2->a1 Prepare (2,p2)',
      'p1->a1 Accept (1,p1) v1',
      'a1->p1 Nack (1,p1) promised (2,p2)',
    ]);
  });

  it('the saved dueling-proposers livelock (3 acceptors) is a 22-step lasso whose cycle starts after step 8', () => {
    const t = loadTrace(join(traces, 'default-livelock.json'));
    expect([t.property, t.variant, t.params.acceptors, t.params.ballotsMax, t.steps.length, t.cycleStart]).toEqual(['livelock', 'default', 3, 3, 22, 8]);
  });
});

describe('Paxos scenarios declared by the model come out as declared', () => {
  // [status, distinct, total, depth] of each scenario in models/paxos (the rows of check --all).
  const expected: Record<string, [string, number, number, number]> = {
    'agreement-with-retries': ['holds', 156_153, 653_283, 52],
    'agreement-under-loss': ['holds', 96_222, 389_307, 36],
    'agreement-under-duplication': ['holds', 13_738, 55_495, 31],
    'agreement-under-crashes': ['holds', 42_424, 159_762, 36],
    'agreement-under-partition': ['holds', 131_969, 477_682, 34],
    'dueling-proposers-livelock': ['violation', 156_153, 653_283, 52],
    'distinguished-proposer-chooses': ['holds', 19_093, 72_912, 41],
  };

  // The unreduced-* scenarios are pinned in paxos-reductions.test.ts.
  const scenarios = checksOf(paxosDefinition).filter((c) => c.row.kind === 'scenario' && !c.row.name.startsWith('unreduced-'));
  it.each(scenarios.map((c) => [c.row.name, c] as const))('%s', (name, check) => {
    const o = runCheck(check);
    expect(o.matchesExpected, o.verdict).toBe(true);
    const s = o.summary;
    expect([s.status, s.distinctStates, s.totalStates, s.depth]).toEqual(expected[name]);
  });
});

describe('Paxos swarm over 5 acceptors and 3 proposers with drops, duplicates, crashes and a partition', () => {
  const faults = { acceptors: 5, proposers: 3, ballotsMax: 4, dropsMax: 3, duplicatesMax: 2, crashesMax: 2, partitionsMax: 1 };

  it('finds no violation in 100 random runs of 200 steps (seed 7), and every witness is reached', () => {
    const r = simulate(build('default', faults), { runs: 100, depthMax: 200, seed: 7 });
    expect([r.runs, r.steps, r.failedRuns]).toEqual([100, 20_000, 0]);
    expect(r.witnessRuns).toEqual({
      'two proposers compete': 95,
      'a proposer re-proposes a value accepted in an earlier ballot': 84,
      'a value is chosen': 96,
      'every learner learns': 87,
    });
  });

  it('finds the half-quorum bug (2 of 5): two disjoint pairs of acceptors choose v3 and v2', () => {
    const r = simulate(build('half-quorum', faults), { runs: 100, depthMax: 200, seed: 7 });
    expect(r.failedRuns).toBe(46);
    expect(r.violations[0]).toMatchObject({
      property: 'Agreement',
      runIndex: 13,
      steps: 16,
      message: 'two values chosen: v3 (a1,a5 accepted (1,p3)=v3) and v2 (a3,a4 accepted (1,p2)=v2)',
    });
  });
});
