// Paxos.tla (Lamport, "How to Win a Turing Award"), ported action for action: its state counts
// are TLC's for the same constants, and each planted bug breaks the spec's inductive invariant.

import { describe, expect, it } from 'vitest';
import { explore, type Violation } from '../src/explore/explore.ts';
import { resolveParams } from '../src/core/model.ts';
import { replayTrace, traceFromRun } from '../src/trace/trace.ts';
import { builderFor } from '../src/verify/index.ts';
import { paxosTlaDefinition } from '../models/paxos-tla/index.ts';

const build = (variant: string, params: Record<string, number> = {}) => paxosTlaDefinition.create(resolveParams(paxosTlaDefinition, params), variant);

/** The counterexample saved as a trace replays step by step and ends in the same violation. */
function replays(variant: string, v: Violation): boolean {
  const params = resolveParams(paxosTlaDefinition, {});
  const trace = traceFromRun({ model: 'paxos-tla', variant, params, property: v.property, outcome: 'violation' }, v.run);
  return replayTrace(trace, `paxos-tla-${variant}.json`, builderFor(() => paxosTlaDefinition)).reproduced;
}

describe('Paxos.tla ported as paxos-tla', () => {
  it("matches TLC on MCPaxosTiny (3 acceptors, 2 values, ballots 0..1): 3,921 distinct states, 23,563 generated, depth 17", () => {
    const r = explore(build('default'));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 3_921, 23_563, 17]);
    expect(r.witnesses.map((w) => [w.name, w.reached, w.depth])).toEqual([
      ['a value is chosen', true, 7],
      ['a 2a message re-proposes a value voted in a lower ballot', true, 10],
    ]);
  });

  // Which acceptor or value a message names depends on the order BFS meets symmetric runs.
  it.each([
    ['phase2a-any-value', 9, 'Inv', /^2a for ballot 1 value (v\d) but no quorum shows \1 safe at 1$/],
    ['phase2b-ignores-maxbal', 7, 'Inv', /^a\d sent 1b for ballot 1 but maxBal is 0$/],
  ])('the %s bug breaks the inductive invariant in %i steps', (variant, steps, property, message) => {
    const r = explore(build(variant));
    const v = r.violations[0];
    expect([v.property, v.steps]).toEqual([property, steps]);
    expect(v.message).toMatch(message);
    expect(replays(variant, v)).toBe(true);
  });

  it('a Phase2a that ignores the reported votes sends at ballot 1 a value other than one an acceptor of its quorum voted at ballot 0 and reported', () => {
    const labels = explore(build('phase2a-any-value')).violations[0].run.steps.map((s) => s.label);
    // The violating step is the 2a itself; the order of the steps before it is not the claim.
    const sent = /^Phase2a\(1, (v\d)\): send 2a \(Q = \{(a\d(?:,a\d)*)\}, votes in Q1b ignored\)$/.exec(labels.at(-1)!);
    expect(sent).not.toBeNull();
    const [, value, quorum] = sent!;
    // An acceptor in Q voted another value at ballot 0, then sent its 1b for ballot 1 (reporting the vote).
    const reported = quorum.split(',').filter((a) => {
      const vote = labels.findIndex((l) => new RegExp(`^Phase2b\\(${a}\\): receive 2a bal=0 val=(?!${value}\\b)v\\d, vote$`).test(l));
      const oneB = labels.findIndex((l) => l === `Phase1b(${a}): receive 1a bal=1, send 1b`);
      return vote >= 0 && oneB > vote;
    });
    expect(reported).toHaveLength(1);
  });
});
