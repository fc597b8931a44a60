// The TLA+ ports must reproduce TLC's numbers exactly: distinct states, total states generated
// (initial states plus every successor, duplicates included) and depth (initial states at
// depth 1). Published figures: tlaplus/Examples manifest.json for TCommit.cfg (RM = 3 RMs),
// TwoPhase.cfg (3 RMs) and PaxosCommit.cfg; the 6-RM TwoPhase count is quoted in a comment of
// TwoPhase.tla. PaxosCommit.cfg itself (1,321,761 states) runs in `npm run bench`.

import { describe, expect, it } from 'vitest';
import { explore, type Violation } from '../src/explore/explore.ts';
import { replayTrace, traceFromRun } from '../src/trace/trace.ts';
import { buildRegistered } from '../src/verify/index.ts';
import { tCommit } from '../models/tcommit/index.ts';
import { twoPhase } from '../models/twophase/index.ts';
import { paxosCommit } from '../models/paxoscommit/index.ts';

/** A counterexample saved as a trace of the registered model replays step by step (each action
 * enabled, each state as recorded) and ends in the same violation. */
function replays(model: string, variant: string, params: Record<string, number>, v: Violation): boolean {
  const trace = traceFromRun({ model, variant, params, property: v.property, outcome: 'violation' }, v.run);
  return replayTrace(trace, `${model}-${variant}.json`, buildRegistered).reproduced;
}

describe('TCommit.tla port', () => {
  it('has 34 distinct states, 94 total, depth 7 with 3 RMs, as TLC publishes for TCommit.cfg', () => {
    const r = explore(tCommit(3));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 34, 94, 7]);
  });

  it('counts 3^n working/prepared/aborted states plus 2^n - 1 with a commit', () => {
    for (const n of [1, 2, 4, 5]) {
      expect(explore(tCommit(n)).distinctStates).toBe(3 ** n + 2 ** n - 1);
    }
  });

  it('finds an RM that aborts after another committed when notCommitted is dropped', () => {
    const r = explore(tCommit(2, 'abort-after-commit'));
    expect(r.violations[0]).toMatchObject({ property: 'TCConsistent', steps: 4 });
    expect(r.violations[0].message).toMatch(/^rm\d committed while rm\d aborted$/);
    expect(replays('tcommit', 'abort-after-commit', { rm: 2 }, r.violations[0])).toBe(true);
  });
});

describe('TwoPhase.tla port', () => {
  it('has 288 distinct states, 1,146 total, depth 11 with 3 RMs, as TLC publishes for TwoPhase.cfg', () => {
    const r = explore(twoPhase(3));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 288, 1146, 11]);
    expect(r.witnesses.every((w) => w.reached)).toBe(true);
  });

  it('has 50,816 reachable states with 6 RMs, the figure quoted in TwoPhase.tla', () => {
    const r = explore(twoPhase(6));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 50_816, 402_306, 20]);
  });

  it('DFS visits the same states as BFS', () => {
    const dfs = explore(twoPhase(4), { strategy: 'dfs' });
    const bfs = explore(twoPhase(4), { strategy: 'bfs' });
    expect([dfs.status, dfs.distinctStates, dfs.totalStates]).toEqual(['holds', 1568, 8258]);
    expect([bfs.status, bfs.distinctStates, bfs.totalStates]).toEqual(['holds', 1568, 8258]);
  });

  it('a TM that commits after the first Prepared breaks TCConsistent in 5 steps', () => {
    const r = explore(twoPhase(2, 'commit-without-all-prepared'));
    const v = r.violations[0];
    expect([v.property, v.steps]).toEqual(['TCConsistent', 5]);
    expect(v.message).toMatch(/^rm\d committed while rm\d aborted$/);
    expect(replays('twophase', 'commit-without-all-prepared', { rm: 2 }, v)).toBe(true);
  });

  it('a prepared RM that aborts on its own breaks TCConsistent in 7 steps', () => {
    const r = explore(twoPhase(2, 'rm-aborts-after-prepare'));
    expect(r.violations[0]).toMatchObject({ property: 'TCConsistent', steps: 7 });
    expect(replays('twophase', 'rm-aborts-after-prepare', { rm: 2 }, r.violations[0])).toBe(true);
  });
});

describe('PaxosCommit.tla port', () => {
  it.each([
    // [RMs, acceptors, ballots, distinct, total, depth]: pinned from this port, whose 2/3/2
    // configuration reproduces TLC's published 1,321,761 / 16,959,159 / 28 exactly (bench).
    [1, 1, 1, 8, 18, 5],
    [1, 3, 2, 1461, 9936, 15],
    [2, 1, 2, 1425, 9961, 16],
    [2, 3, 1, 545, 4413, 12],
  ])('%i RMs, %i acceptors, %i ballots: %i distinct, %i total, depth %i, no violation', (rm, acc, bal, distinct, total, depth) => {
    const r = explore(paxosCommit({ rmCount: rm, acceptorCount: acc, ballotCount: bal }));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', distinct, total, depth]);
  });

  it('reaches every witness when a second ballot exists', () => {
    const r = explore(paxosCommit({ rmCount: 1, acceptorCount: 3, ballotCount: 2 }));
    expect(r.witnesses.filter((w) => !w.reached)).toEqual([]);
  });

  it('a leader that ignores accepted values in phase 2a lets one instance abort after it was chosen prepared, in 9 steps', () => {
    const r = explore(paxosCommit({ rmCount: 1, acceptorCount: 3, ballotCount: 2 }, 'phase2a-ignores-accepted'));
    expect(r.status).toBe('violation');
    expect(r.violations[0]).toMatchObject({ property: 'InstanceAgreement', steps: 9 });
    expect(r.violations[0].message).toMatch(/rm1's instance chose both prepared \(ballot 0\) and aborted \(ballot 1\)/);
    expect(replays('paxoscommit', 'phase2a-ignores-accepted', { rm: 1, acceptors: 3, ballots: 2 }, r.violations[0])).toBe(true);
  });

  it('an acceptor that accepts below its promise breaks InstanceAgreement in 9 steps', () => {
    const r = explore(paxosCommit({ rmCount: 1, acceptorCount: 3, ballotCount: 2 }, 'acceptor-ignores-promise'));
    expect(r.status).toBe('violation');
    expect(r.violations[0]).toMatchObject({ property: 'InstanceAgreement', steps: 9 });
    expect(replays('paxoscommit', 'acceptor-ignores-promise', { rm: 1, acceptors: 3, ballots: 2 }, r.violations[0])).toBe(true);
  });
});
