// The theorems the TLA+ ports' specifications state beyond TypeOK and TCConsistent, and the
// planted bugs that only they catch:
// - TCommit.tla: an RM commits only if every RM has prepared (canCommit), as the invariant
//   CommitOnlyIfAllPrepared; with TCConsistent it admits exactly TCommit's reachable states.
// - TwoPhase.tla and PaxosCommit.tla: THEOREM TPSpec => TC!TCSpec and PCSpec => TC!TCSpec,
//   checked as refinement scenarios with the mapping TC == INSTANCE TCommit (rmState).
// - Phase 2 value selection in PaxosCommit.tla and Paxos.tla: a leader that re-proposes the
//   value of the lowest (not the highest) reported ballot needs three ballots to go wrong, one
//   more than the default rows have.
// Exhaustive runs pin [status, distinct, total, depth]; counterexamples pin the property, the
// minimal (BFS) length, and that the run replays. PaxosCommit's refinement at its default
// constants (1,321,761 states) and its default rows run in `check --all` only.

import { describe, expect, it } from 'vitest';
import { explore } from '../src/explore/explore.ts';
import type { AnyModel } from '../src/core/model.ts';
import { replayTrace, traceFromRun } from '../src/trace/trace.ts';
import { buildRegistered, findScenario, runCheck, scenarioCheck, variantCheck, type Outcome } from '../src/verify/index.ts';
import { commitOnlyIfAllPrepared, tCommit, tCommitDefinition, tcConsistent, tcInstance, type RMState } from '../models/tcommit/index.ts';
import { twoPhase, twoPhaseDefinition } from '../models/twophase/index.ts';
import { paxosCommitDefinition } from '../models/paxoscommit/index.ts';
import { paxosTlaDefinition } from '../models/paxos-tla/index.ts';

const stats = (o: Outcome) => [o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth];

/** The model with only the named invariants: what the ports checked before these theorems. */
function only(model: AnyModel, names: readonly string[]): AnyModel {
  return { ...model, invariants: model.invariants.filter((i) => names.includes(i.name)) };
}

/** A planted bug's row found its expected violation, and the saved counterexample replays on
 * the registered model and ends in that violation. */
function caught(o: Outcome): [string, number, boolean] {
  const f = o.findings[0];
  const replayed = replayTrace(f.trace!, `${o.check.instance.def.name}-${o.check.row.name}.json`, buildRegistered).reproduced;
  return [f.property, f.steps, o.matchesExpected && replayed];
}

/** Every reachable state of a model, by breadth-first search (for the small TCommit). */
function reachable(model: AnyModel): Set<string> {
  const seen = new Set<string>(model.init.map((s) => JSON.stringify(s)));
  const queue = [...model.init];
  for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
    for (const a of model.actions(s)) {
      const t = model.step(s, a);
      const key = JSON.stringify(t);
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(t);
      }
    }
  }
  return seen;
}

function allRmStates(n: number): RMState[][] {
  const values: RMState[] = ['working', 'prepared', 'committed', 'aborted'];
  let out: RMState[][] = [[]];
  for (let i = 0; i < n; i++) out = out.flatMap((prefix) => values.map((v) => [...prefix, v]));
  return out;
}

describe('TCommit.tla: an RM commits only if every RM has prepared', () => {
  it('TCConsistent and CommitOnlyIfAllPrepared together admit exactly the 3^n + 2^n - 1 reachable states of TCommit, for 1 to 5 RMs', () => {
    for (const n of [1, 2, 3, 4, 5]) {
      const admitted = allRmStates(n)
        .filter((rmState) => tcConsistent.check({ rmState }) === undefined && commitOnlyIfAllPrepared.check({ rmState }) === undefined)
        .map((rmState) => JSON.stringify({ rmState }));
      expect(new Set(admitted)).toEqual(reachable(tCommit(n)));
      expect(admitted).toHaveLength(3 ** n + 2 ** n - 1);
    }
  });

  it('the faithful TCommit keeps CommitOnlyIfAllPrepared: 34 distinct states, 94 total, depth 7 with 3 RMs, as TLC publishes', () => {
    expect(stats(runCheck(variantCheck(tCommitDefinition, 'default')))).toEqual(['holds', 34, 94, 7]);
  });

  it('a commit condition that lets a working RM through keeps TCTypeOK and TCConsistent in every state, so the old invariants miss it', () => {
    const r = explore(only(tCommit(3, 'commit-while-working'), ['TCTypeOK', 'TCConsistent']));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 46, 124, 7]);
  });

  it('CommitOnlyIfAllPrepared catches that commit condition in 2 steps: one RM prepares and commits while another is working', () => {
    const o = runCheck(variantCheck(tCommitDefinition, 'commit-while-working'));
    expect(caught(o)).toEqual(['CommitOnlyIfAllPrepared', 2, true]);
    expect(o.findings[0].message).toMatch(/^rm\d committed while rm\d is working \(never prepared\)$/);
  });
});

describe('TwoPhase.tla: THEOREM TPSpec => TC!TCSpec', () => {
  const refines = findScenario(twoPhaseDefinition, 'refines-tcommit');

  it('TwoPhase refines TCommit with 3 RMs (TwoPhase.cfg): 288 distinct states, 1,146 total, depth 11', () => {
    const o = runCheck(scenarioCheck(twoPhaseDefinition, { ...refines, params: { rm: 3 } }));
    expect([...stats(o), o.matchesExpected]).toEqual(['holds', 288, 1146, 11, true]);
  });

  it('TwoPhase refines TCommit with 6 RMs, the configuration TwoPhase.tla says TLC checked: 50,816 distinct states, 402,306 total, depth 20', () => {
    const o = runCheck(scenarioCheck(twoPhaseDefinition, refines));
    expect([...stats(o), o.matchesExpected]).toEqual(['holds', 50_816, 402_306, 20, true]);
  });

  it('the faithful TwoPhase keeps CommitOnlyIfAllPrepared on its rmState with 3 RMs', () => {
    const m = twoPhase(3);
    const r = explore({ ...m, invariants: [...m.invariants, commitOnlyIfAllPrepared] });
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 288, 1146, 11]);
  });

  it('a TM that commits with one RM unprepared keeps every invariant with 1 RM: the old checks miss it', () => {
    const o = runCheck(variantCheck(twoPhaseDefinition, 'commit-one-unprepared', { rm: 1 }));
    expect([...stats(o), o.matchesExpected]).toEqual(['holds', 17, 30, 5, false]);
    const m = twoPhase(1, 'commit-one-unprepared');
    const r = explore({ ...m, invariants: [...m.invariants, commitOnlyIfAllPrepared] });
    expect(r.status).toBe('holds');
  });

  it('the refinement of TCommit catches that TM with 1 RM in 2 steps: the TM commits and rm1 goes from working to committed', () => {
    const o = runCheck(scenarioCheck(twoPhaseDefinition, findScenario(twoPhaseDefinition, 'commit-one-unprepared-refinement')));
    const f = o.findings[0];
    expect([f.property, f.steps, o.matchesExpected]).toEqual(['refinement', 2, true]);
    // Refinement failures are not saved as trace files; the run replays on the registered
    // model with every invariant holding, and its last step is no TCommit step.
    const trace = traceFromRun({ model: 'twophase', variant: 'commit-one-unprepared', params: { rm: 1 }, property: 'refinement', outcome: 'holds' }, f.run);
    const replay = replayTrace(trace, 'twophase-commit-one-unprepared-refinement.json', buildRegistered);
    expect([replay.reproduced, replay.observed]).toEqual([true, 'every invariant holds in every state']);
    const [before, after] = replay.states.slice(-2).map(tcInstance);
    expect([before, after]).toEqual([{ rmState: ['working'] }, { rmState: ['committed'] }]);
    const spec = tCommit(1);
    expect(spec.actions(before).map((a) => spec.step(before, a))).not.toContainEqual(after);
  });

  it('with 3 RMs the same TM breaks TCConsistent in 7 steps', () => {
    expect(caught(runCheck(variantCheck(twoPhaseDefinition, 'commit-one-unprepared')))).toEqual(['TCConsistent', 7, true]);
  });
});

describe('PaxosCommit.tla: THEOREM PCSpec => TC!TCSpec', () => {
  // PaxosCommit.cfg's constants (2 RMs, 3 acceptors, ballots {0, 1}): the refines-tcommit row
  // of check --all, 1,321,761 states; here smaller constants with 2 RMs, so that a commit
  // needs both instances.
  it.each([
    [1, 2, 1425, 9961, 16],
    [3, 1, 545, 4413, 12],
  ])('with 2 RMs, %i acceptor(s) and %i ballot(s) PaxosCommit refines TCommit and keeps CommitOnlyIfAllPrepared: %i distinct, %i total, depth %i', (acceptors, ballots, distinct, total, depth) => {
    const params = { rm: 2, acceptors, ballots };
    const refinement = runCheck(scenarioCheck(paxosCommitDefinition, { ...findScenario(paxosCommitDefinition, 'refines-tcommit'), params }));
    expect([...stats(refinement), refinement.matchesExpected]).toEqual(['holds', distinct, total, depth, true]);
    const r = runCheck(variantCheck(paxosCommitDefinition, 'default', params));
    expect([stats(r), r.check.instance.model.invariants.map((i) => i.name)]).toEqual([
      ['holds', distinct, total, depth],
      ['PCTypeOK', 'InstanceAgreement', 'TCConsistent', 'CommitOnlyIfAllPrepared'],
    ]);
  });
});

describe('phase 2 value selection needs three ballots', () => {
  it('PaxosCommit with ballots {0, 1, 2} (1 RM, 3 acceptors) keeps every invariant: 66,893 distinct states, 578,665 total, depth 23', () => {
    const o = runCheck(scenarioCheck(paxosCommitDefinition, findScenario(paxosCommitDefinition, 'three-ballots')));
    expect([...stats(o), o.matchesExpected]).toEqual(['holds', 66_893, 578_665, 23, true]);
  });

  it('a PaxosCommit leader that re-proposes the lowest reported ballot\'s value is invisible with ballots {0, 1}: the faithful 1,461 states', () => {
    const o = runCheck(variantCheck(paxosCommitDefinition, 'phase2a-lowest-ballot', { ballots: 2 }));
    expect([...stats(o), o.matchesExpected]).toEqual(['holds', 1461, 9936, 15, false]);
  });

  it('with ballots {0, 1, 2} that leader lets rm1\'s instance choose aborted at ballot 1 and prepared at ballot 2, in 14 steps', () => {
    const o = runCheck(variantCheck(paxosCommitDefinition, 'phase2a-lowest-ballot'));
    expect(caught(o)).toEqual(['InstanceAgreement', 14, true]);
    expect(o.findings[0].message).toBe("rm1's instance chose both prepared (ballot 2) and aborted (ballot 1)");
  });

  it('Paxos.tla with MCPaxosSmall\'s ballots 0..2 keeps Inv and V!C!Inv: 185,369 distinct states, 1,361,380 total, depth 25', () => {
    const o = runCheck(scenarioCheck(paxosTlaDefinition, findScenario(paxosTlaDefinition, 'mcpaxos-small')));
    expect([...stats(o), o.matchesExpected]).toEqual(['holds', 185_369, 1_361_380, 25, true]);
  });

  it('a Phase2a that takes the lowest-numbered reported vote is invisible with ballots 0..1: the 3,921 states of MCPaxosTiny', () => {
    const o = runCheck(variantCheck(paxosTlaDefinition, 'phase2a-lowest-ballot', { maxBallot: 1 }));
    expect([...stats(o), o.matchesExpected]).toEqual(['holds', 3921, 23_563, 17, false]);
  });

  it('with ballots 0..2 it sends a 2a for ballot 2 that no quorum shows safe, breaking Inv in 14 steps', () => {
    // The first violation only (the check --all row also searches the rest of the space).
    const params = { acceptors: 3, values: 2, maxBallot: 2 };
    const v = explore(paxosTlaDefinition.create(params, 'phase2a-lowest-ballot')).violations[0];
    const trace = traceFromRun({ model: 'paxos-tla', variant: 'phase2a-lowest-ballot', params, property: v.property, outcome: 'violation' }, v.run);
    expect([v.property, v.steps, replayTrace(trace, 'paxos-tla-phase2a-lowest-ballot.json', buildRegistered).reproduced]).toEqual(['Inv', 14, true]);
    expect(v.message).toMatch(/^2a for ballot 2 value (v\d) but no quorum shows \1 safe at 2$/);
    expect(v.run.steps.at(-1)!.label).toMatch(/^Phase2a\(2, v\d\): send 2a \(Q = \{a\d,a\d\}, lowest vote a\d <<0, v\d>>\)$/);
  });

  it('and two values get chosen (V!C!Inv, the consensus property) 3 steps later, in 17', () => {
    const m = paxosTlaDefinition.create({ acceptors: 3, values: 2, maxBallot: 2 }, 'phase2a-lowest-ballot');
    const r = explore(only(m, ['V!C!Inv']));
    expect([r.violations[0].property, r.violations[0].steps]).toEqual(['V!C!Inv', 17]);
  });
});
