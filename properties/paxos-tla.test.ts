// Paxos.tla (Lamport, "How to Win a Turing Award"), ported action for action: its state counts
// are TLC's for the same constants, and each planted bug breaks the spec's inductive invariant.

import { describe, expect, it } from 'vitest';
import { explore } from '../src/explore/explore.ts';
import { resolveParams } from '../src/core/model.ts';
import { paxosTlaDefinition } from '../models/paxos-tla/index.ts';

const build = (variant: string, params: Record<string, number> = {}) => paxosTlaDefinition.create(resolveParams(paxosTlaDefinition, params), variant);

describe('Paxos.tla ported as paxos-tla', () => {
  it("matches TLC on MCPaxosTiny (3 acceptors, 2 values, ballots 0..1): 3,921 distinct states, 23,563 generated, depth 17", () => {
    const r = explore(build('default'));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 3_921, 23_563, 17]);
    expect(r.witnesses.map((w) => [w.name, w.reached, w.depth])).toEqual([
      ['a value is chosen', true, 7],
      ['a 2a message re-proposes a value voted in a lower ballot', true, 10],
    ]);
  });

  it.each([
    ['phase2a-any-value', 9, 'Inv', '2a for ballot 1 value v2 but no quorum shows v2 safe at 1'],
    ['phase2b-ignores-maxbal', 7, 'Inv', 'a1 sent 1b for ballot 1 but maxBal is 0'],
  ])('the %s bug breaks the inductive invariant in %i steps', (variant, steps, property, message) => {
    const r = explore(build(variant));
    expect(r.violations[0]).toMatchObject({ property, steps, message });
  });

  it('a Phase2a that ignores the reported votes sends v2 at ballot 1 although a2 voted v1 at ballot 0', () => {
    const r = explore(build('phase2a-any-value'));
    expect(r.violations[0].run.steps.map((s) => s.label)).toEqual([
      'Phase1a(0): send 1a bal=0',
      'Phase1a(1): send 1a bal=1',
      'Phase1b(a1): receive 1a bal=0, send 1b',
      'Phase1b(a1): receive 1a bal=1, send 1b',
      'Phase1b(a2): receive 1a bal=0, send 1b',
      'Phase2a(0, v1): send 2a (Q = {a1,a2}, no votes in Q1b)',
      'Phase2b(a2): receive 2a bal=0 val=v1, vote',
      'Phase1b(a2): receive 1a bal=1, send 1b',
      'Phase2a(1, v2): send 2a (Q = {a1,a2}, votes in Q1b ignored)',
    ]);
  });
});
