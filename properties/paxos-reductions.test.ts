// The state-space reductions of models/paxos/system.ts, each switched by a param: a planted bug
// of the kind a reduction hides is not reachable with it on and is found with it off; the
// faithful model holds with the reductions off; and the bounds reach bugs that need three
// ballots or three rounds. Exhaustive runs pin [status, distinct, total, depth]; counterexamples
// pin their property, their BFS-minimal length and that they replay.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { explore } from '../src/explore/explore.ts';
import { simulate } from '../src/explore/simulate.ts';
import { loadTrace, replayTrace, traceFromRun } from '../src/trace/trace.ts';
import { buildRegistered, findScenario, instantiate, runCheck, scenarioCheck, variantCheck, type Outcome } from '../src/verify/index.ts';
import { paxos, paxosDefinition, PAXOS_DEFAULTS, type PaxosState } from '../models/paxos/index.ts';

const traces = join(import.meta.dirname, '..', 'traces', 'paxos');

const figures = (o: Outcome) => [o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth];

/** A variant's row (check --all) at its own params, with `given` on top. */
const row = (variant: string, given: Record<string, number> = {}) => runCheck(variantCheck(paxosDefinition, variant, given));

/** The row's (first, shortest) counterexample: property, length, and whether its trace replays. */
function counterexample(o: Outcome): [string, number, boolean] {
  const f = o.findings[0];
  return [f.property, f.steps, replayTrace(f.trace!, `${f.property}.json`, buildRegistered).reproduced];
}

/** The same, from a BFS that stops at the first violation (for rows too large to exhaust here). */
function shortest(variant: string, given: Record<string, number>): [string, number, boolean] {
  const i = instantiate(paxosDefinition, variant, given);
  const v = explore(i.model).violations[0];
  const trace = traceFromRun({ model: 'paxos', variant, params: i.params, property: v.property, outcome: 'violation' }, v.run);
  return [v.property, v.steps, replayTrace(trace, `${variant}.json`, buildRegistered).reproduced];
}

describe('Forgetting stale messages hides a proposer or learner that does not ignore them', () => {
  it('a learner that tallies Accepted messages learns v1 from a1 alone via a duplicated Accepted (9 steps), but only when stale messages are kept', () => {
    const on = row('learner-counts-duplicates', { forgetStale: 1 });
    expect(figures(on)).toEqual(['holds', 443, 1_557, 18]);
    expect(on.matchesExpected).toBe(false);

    const off = row('learner-counts-duplicates');
    expect(off.matchesExpected, off.verdict).toBe(true);
    expect(figures(off)).toEqual(['violation', 845, 2_769, 20]);
    expect(counterexample(off)).toEqual(['LearnedChosen', 9, true]);
  });

  it('a proposer that tallies Promise messages gets v2 chosen over v1 from a3 twice (17 steps), but only when stale messages are kept', () => {
    // With forgetStale=1 the buggy proposer's row is the faithful agreement-under-duplication row.
    const on = row('proposer-counts-promise-twice', { forgetStale: 1 });
    expect(figures(on)).toEqual(['holds', 13_738, 55_495, 31]);
    expect(on.matchesExpected).toBe(false);

    const off = row('proposer-counts-promise-twice');
    expect(off.matchesExpected, off.verdict).toBe(true);
    expect(figures(off)).toEqual(['violation', 29_315, 108_274, 32]);
    expect(counterexample(off)).toEqual(['Agreement', 17, true]);
  });

  it('a swarm of 1,000 random runs (seed 7) finds each tally bug only when stale messages are kept', () => {
    const swarm = (variant: string, forgetStale: number) => {
      const r = simulate(instantiate(paxosDefinition, variant, { forgetStale }).model, { runs: 1_000, depthMax: 50, seed: 7 });
      return [r.failedRuns, r.violations[0]?.property];
    };
    expect(['learner-counts-duplicates', 'proposer-counts-promise-twice'].flatMap((v) => [swarm(v, 1), swarm(v, 0)])).toEqual([
      [0, undefined],
      [2, 'LearnedChosen'],
      [0, undefined],
      [2, 'Agreement'],
    ]);
  });

  it('the saved counterexamples of both tally bugs are their shortest runs and name the params that keep stale messages', () => {
    const saved = ['learner-counts-duplicates-learnedchosen', 'proposer-counts-promise-twice-agreement'].map((f) => loadTrace(join(traces, `${f}.json`)));
    expect(saved.map((t) => [t.variant, t.property, t.steps.length, t.params.forgetStale, t.params.duplicatesMax])).toEqual([
      ['learner-counts-duplicates', 'LearnedChosen', 9, 0, 1],
      ['proposer-counts-promise-twice', 'Agreement', 17, 0, 1],
    ]);
  });
});

describe('Quiet timeouts hide the second Promise an early retransmission provokes', () => {
  it('with stale messages kept but no duplicate, the tallying proposer holds under quiet timeouts and breaks Agreement with one early timeout (22 steps)', () => {
    expect(figures(row('proposer-counts-promise-twice', { duplicatesMax: 0 }))).toEqual(['holds', 2_385, 7_723, 31]);
    // At the params of the unreduced-dueling scenario: every reduction off, no fault.
    const params = scenarioCheck(paxosDefinition, findScenario(paxosDefinition, 'unreduced-dueling')).instance.params;
    expect([params.forgetStale, params.earlyTimeoutsMax, params.duplicatesMax]).toEqual([0, 1, 0]);
    expect(shortest('proposer-counts-promise-twice', params)).toEqual(['Agreement', 22, true]);
  });
});

describe('At most one copy in flight relies on no handler', () => {
  it("a retransmission's second copy (copiesMax=2) leaves the network the duplicate fault leaves under copiesMax=1", () => {
    // p1's Prepare to a2 is in flight while a2 is down; a1 promised; p1 times out and retransmits.
    const prefix = ['p1 propose', 'crash a2', 'p1->a1 Prepare (1,p1)', 'a1->p1 Promise (1,p1) no accepted proposal', 'timeout p1 retry'];
    const run = (copiesMax: number, extra: readonly string[]) => {
      const m = paxos({ proposers: 1, learners: 0, crashesMax: 1, duplicatesMax: 1, copiesMax });
      return [...prefix, ...extra].reduce((s: PaxosState, label) => {
        const a = m.actions(s).find((x) => m.describe(x) === label);
        expect(a, `${label} enabled`).toBeDefined();
        return m.step(s, a!);
      }, m.init[0]);
    };
    const copied = run(2, []);
    const duplicated = run(1, ['duplicate p1->a2 Prepare (1,p1)']);
    expect(copied.sys.network.filter((e) => e.to === 'a2')).toHaveLength(2);
    expect(copied.sys.network).toEqual(duplicated.sys.network);
    expect([copied.sys.faults.duplicates, duplicated.sys.faults.duplicates]).toEqual([0, 1]);
    expect(run(1, []).sys.network.filter((e) => e.to === 'a2')).toHaveLength(1);
  });
});

describe('Re-basing ballots changes no verdict of the new variants', () => {
  it.each([
    ['learner-counts-duplicates', 'LearnedChosen', 9],
    ['proposer-counts-promise-twice', 'Agreement', 17],
    ['proposer-picks-lowest-accepted', 'Agreement', 21],
    ['proposer-trusts-own-ballot', 'Agreement', 25],
  ])('%s breaks %s in %i steps with absolute rounds too', (variant, property, steps) => {
    expect(shortest(variant, { rebase: 0 })).toEqual([property, steps, true]);
  });
});

describe('The faithful model keeps every invariant with the reductions off', () => {
  it.each([
    ['unreduced-learner', ['holds', 13_832, 54_749, 24]],
    ['unreduced-dueling', ['holds', 133_235, 576_263, 36]],
    ['unreduced-retries', ['holds', 51_710, 216_658, 43]],
  ])('%s is exhausted, holds and reaches every witness', (name, expected) => {
    const o = runCheck(scenarioCheck(paxosDefinition, findScenario(paxosDefinition, name)));
    expect(o.matchesExpected, o.verdict).toBe(true);
    expect(figures(o)).toEqual(expected);
  });

  it('the defaults switch every reduction on (the figures of properties/paxos.test.ts)', () => {
    const { rebase, earlyTimeoutsMax, copiesMax, forgetStale } = PAXOS_DEFAULTS;
    expect({ rebase, earlyTimeoutsMax, copiesMax, forgetStale }).toEqual({ rebase: 1, earlyTimeoutsMax: 0, copiesMax: 1, forgetStale: 1 });
  });
});

describe('Paxos has rows deep enough for phase-2 value bugs that need three ballots or three rounds', () => {
  it('taking the lowest-numbered accepted value needs three ballots: one ballot each holds, one retry (ballotsMax=2) breaks Agreement in 21 steps', () => {
    expect(figures(row('proposer-picks-lowest-accepted', { ballotsMax: 1 }))).toEqual(['holds', 1_928, 6_258, 30]);
    const o = row('proposer-picks-lowest-accepted');
    expect(o.matchesExpected, o.verdict).toBe(true);
    expect(figures(o)).toEqual(['violation', 18_578, 70_946, 41]);
    expect(counterexample(o)).toEqual(['Agreement', 21, true]);
  });

  it('trusting its own earlier ballot needs three rounds: ballotsMax=2 holds, ballotsMax=3 breaks Agreement in 25 steps', () => {
    expect(figures(row('proposer-trusts-own-ballot', { ballotsMax: 2 }))).toEqual(['holds', 19_093, 72_912, 41]);
    // The row (ballotsMax=3) exhausts 144,525 states in ~15 s: check --all runs it, here BFS stops at the first violation.
    expect(shortest('proposer-trusts-own-ballot', {})).toEqual(['Agreement', 25, true]);
  });

  it('the saved counterexamples of both are their shortest runs, at ballotsMax=2 and 3', () => {
    const saved = ['proposer-picks-lowest-accepted-agreement', 'proposer-trusts-own-ballot-agreement'].map((f) => loadTrace(join(traces, `${f}.json`)));
    expect(saved.map((t) => [t.variant, t.property, t.steps.length, t.params.ballotsMax])).toEqual([
      ['proposer-picks-lowest-accepted', 'Agreement', 21, 2],
      ['proposer-trusts-own-ballot', 'Agreement', 25, 3],
    ]);
  });
});
