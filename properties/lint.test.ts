// The model author's contract (src/core/lint.ts): states are plain data, a step never changes
// the state it is given, and actions and steps are deterministic. Each broken model below is
// reported with the model's name, the step and the field; every registered model passes.

import { describe, expect, it } from 'vitest';
import { firstNonPlain, lintModel } from '../src/core/lint.ts';
import type { Model } from '../src/core/model.ts';
import { findModel } from '../models/index.ts';
import { instantiate } from '../src/verify/index.ts';

interface S {
  readonly count: number;
  readonly seen: readonly number[];
}

/** A counter to 3; `broken` replaces one part of it. */
function counter(broken: Partial<Model<S, string>> = {}): Model<S, string> {
  return {
    init: [{ count: 0, seen: [] }],
    actions: (s) => (s.count < 3 ? ['inc', 'note'] : []),
    step: (s, a) => (a === 'inc' ? { ...s, count: s.count + 1 } : { ...s, seen: [...s.seen, s.count] }),
    invariants: [],
    sometimes: [],
    describe: (a) => a,
    ...broken,
  };
}

describe('the model author\'s contract is checked before a search', () => {
  it('a well-behaved model passes, and so does every registered model\'s default', () => {
    expect(lintModel(counter(), 'counter')).toBeUndefined();
    for (const name of ['twophase', 'twopc', 'paxos', 'raft', 'zab', 'zookeeper-session', 'gossip']) {
      expect(lintModel(instantiate(findModel(name), 'default').model, name)).toBeUndefined();
    }
  });

  it('a step that changes the state it was given is named with the step and the field', () => {
    const m = counter({ step: (s, a) => (a === 'inc' ? { ...s, count: s.count + 1 } : ((s.seen as number[]).push(s.count), s)) });
    const p = lintModel(m, 'counter')!;
    expect([p.kind, p.message]).toEqual(['mutates-input', 'model \'counter\': the step "note" changed the state it was given, at state.seen[0] (in an initial state); a step must return a new state']);
  });

  it('a Map, a class instance, undefined in an array or NaN in a state is reported with its path', () => {
    const withMap = counter({ init: [{ count: 0, seen: [], votes: new Map() } as unknown as S] });
    expect(lintModel(withMap, 'counter')!.message).toBe('model \'counter\': state.votes in an initial state is a Map instance (use a plain record or a sorted array); states must be plain data');
    expect(firstNonPlain({ a: [1, undefined] })).toEqual(['state.a[1]', 'undefined (an array hole)']);
    expect(firstNonPlain({ a: { b: NaN } })).toEqual(['state.a.b', 'NaN']);
    expect(firstNonPlain({ a: { b: undefined }, c: [null, 'x', true] })).toBeUndefined();
    const later = counter({ step: (s, a) => (a === 'inc' ? { ...s, count: s.count + 1, at: new Date(0) } as S : { ...s, seen: [...s.seen, s.count] }) });
    expect(lintModel(later, 'counter')!.message).toBe('model \'counter\': state.at in the state reached by inc is a Date instance (use a plain record or a sorted array); states must be plain data');
  });

  it('actions in a different order on a second call, or a step with two different successors, are reported', () => {
    let flip = false;
    const actions = counter({ actions: (s) => (s.count < 3 ? ((flip = !flip) ? ['inc', 'note'] : ['note', 'inc']) : []) });
    expect(lintModel(actions, 'counter')!.kind).toBe('actions-nondeterministic');
    let n = 0;
    const step = counter({ step: (s, a) => (a === 'inc' ? { ...s, count: s.count + 1 } : { ...s, seen: [...s.seen, n++] }) });
    const p = lintModel(step, 'counter')!;
    expect([p.kind, p.message]).toEqual(['step-nondeterministic', 'model \'counter\': the step "note" from an initial state gave two different successors, first differing at state.seen[0]']);
  });
});
