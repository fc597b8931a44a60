// The TLA+ ports must reproduce TLC's numbers exactly: distinct states, total states generated
// (initial states plus every successor, duplicates included) and depth (initial states at
// depth 1). Published figures: tlaplus/Examples manifest.json for TCommit.cfg (RM = 3 RMs),
// TwoPhase.cfg (3 RMs) and PaxosCommit.cfg; the 6-RM TwoPhase count is quoted in a comment of
// TwoPhase.tla. PaxosCommit.cfg itself (1,321,761 states) runs in `npm run bench`.

import { describe, expect, it } from 'vitest';
import { explore } from '../src/explore/explore.ts';
import { tCommit } from '../models/tcommit/index.ts';
import { twoPhase } from '../models/twophase/index.ts';
import { paxosCommit } from '../models/paxoscommit/index.ts';

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
    expect(r.violations[0].message).toMatch(/rm\d committed while rm\d aborted/);
  });
});

describe('TwoPhase.tla port', () => {
  it('has 288 distinct states, 1,146 total, depth 11 with 3 RMs, as TLC publishes for TwoPhase.cfg', () => {
    const r = explore(twoPhase(3));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 288, 1146, 11]);
    expect(r.witnesses.every((w) => w.reached)).toBe(true);
  });

  it('has 50,816 reachable states with 6 RMs, the figure quoted in TwoPhase.tla', () => {
    expect(explore(twoPhase(6)).distinctStates).toBe(50_816);
  });

  it('DFS visits the same states as BFS', () => {
    const r = explore(twoPhase(4), { strategy: 'dfs' });
    expect([r.status, r.distinctStates, r.totalStates]).toEqual(['holds', 1568, 8258]);
  });

  it('a TM that commits after the first Prepared breaks TCConsistent in 5 steps', () => {
    const r = explore(twoPhase(2, 'commit-without-all-prepared'));
    const v = r.violations[0];
    expect(v.property).toBe('TCConsistent');
    expect(v.run.steps.map((s) => s.label)).toEqual([
      'rm1 prepare, rm1->TM Prepared',
      'rm1->TM Prepared (received)',
      'TM -> all Commit',
      'TM->rm1 Commit (received)',
      'rm2 chooses to abort',
    ]);
    expect(v.message).toBe('rm1 committed while rm2 aborted');
  });

  it('a prepared RM that aborts on its own breaks TCConsistent', () => {
    const r = explore(twoPhase(2, 'rm-aborts-after-prepare'));
    expect(r.violations[0]).toMatchObject({ property: 'TCConsistent', steps: 7 });
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

  it('a leader that ignores accepted values in phase 2a lets one instance abort after it was chosen prepared', () => {
    const r = explore(paxosCommit({ rmCount: 1, acceptorCount: 3, ballotCount: 2 }, 'phase2a-ignores-accepted'));
    expect(r.status).toBe('violation');
    expect(r.violations[0].property).toBe('InstanceAgreement');
    expect(r.violations[0].message).toMatch(/rm1's instance chose both prepared \(ballot 0\) and aborted \(ballot 1\)/);
  });

  it('an acceptor that accepts below its promise breaks consistency', () => {
    const r = explore(paxosCommit({ rmCount: 1, acceptorCount: 3, ballotCount: 2 }, 'acceptor-ignores-promise'));
    expect(r.status).toBe('violation');
    expect(r.violations[0].property).toBe('InstanceAgreement');
  });
});
