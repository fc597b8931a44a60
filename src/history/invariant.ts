// History checks as model invariants: an actor system records client invokes and returns in
// its state, so "the history so far is linearizable" is a property of each reachable state and
// the explorer reports the shortest run whose history is not.
//
// Most steps (a message delivered, a fault) leave the history as it was, so each invariant
// remembers its verdicts per history (verdict-memo.ts) and runs the checker once per distinct
// history, not once per state (issue 10); the result is the same either way.

import type { Invariant } from '../core/model.ts';
import type { SequentialSpec, Verdict } from './history.ts';
import { historyFromEvents } from './history.ts';
import { checkLinearizable } from './linearizability.ts';
import { checkSequentiallyConsistent } from './sequential.ts';
import { VerdictMemo } from './verdict-memo.ts';

type RecordedEvent =
  | { readonly kind: 'invoke'; readonly client: number; readonly op: unknown }
  | { readonly kind: 'return'; readonly client: number; readonly result: unknown }
  | { readonly kind: 'fail' | 'info'; readonly client: number };

interface WithHistory {
  readonly history: readonly RecordedEvent[];
}

export interface HistoryInvariantOptions {
  /** How many distinct histories' verdicts the invariant remembers (rounded up to an even
   * number), those not used for longest forgotten first; 0 runs the checker in every state.
   * Default MEMO_MAX_DEFAULT. Histories of states the search still holds are also
   * remembered by identity, at no cost beyond a WeakMap entry. */
  readonly memoMax?: number;
}

export const MEMO_MAX_DEFAULT = 10_000;

function historyInvariant<S, Op, Res>(
  name: string,
  spec: SequentialSpec<S, Op, Res>,
  check: (spec: SequentialSpec<S, Op, Res>, events: WithHistory['history']) => Verdict,
  options: HistoryInvariantOptions,
): Invariant<WithHistory> {
  const memoMax = options.memoMax ?? MEMO_MAX_DEFAULT;
  if (!(Number.isInteger(memoMax) && memoMax >= 0)) throw new Error(`${name}: memoMax must be a non-negative integer, got ${memoMax}`);
  const judge = (events: WithHistory['history']): string | undefined => {
    const verdict = check(spec, events);
    if (verdict.ok) return undefined;
    // An exhausted search budget is not a violation, but it must not pass silently either.
    if (verdict.kind === 'unknown') throw new Error(`${name}: history check gave up: ${verdict.explanation}`);
    return verdict.explanation;
  };
  const memo = memoMax === 0 ? undefined : new VerdictMemo(memoMax);
  return {
    name,
    check: (state) => {
      if (state.history.length === 0) return undefined;
      return memo === undefined ? judge(state.history) : memo.answer(state.history, judge);
    },
  };
}

/** The recorded client history is linearizable with respect to `spec`. */
export function linearizableHistory<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  name = 'Linearizable',
  options: HistoryInvariantOptions = {},
): Invariant<WithHistory> {
  return historyInvariant(
    name,
    spec,
    (sp, events) => checkLinearizable(sp, historyFromEvents(events as Parameters<typeof historyFromEvents<Op, Res>>[0])),
    options,
  );
}

/** The recorded client history is sequentially consistent (per-client order) w.r.t. `spec`. */
export function sequentiallyConsistentHistory<S, Op, Res>(
  spec: SequentialSpec<S, Op, Res>,
  name = 'SequentiallyConsistent',
  options: HistoryInvariantOptions = {},
): Invariant<WithHistory> {
  return historyInvariant(
    name,
    spec,
    (sp, events) => checkSequentiallyConsistent(sp, historyFromEvents(events as Parameters<typeof historyFromEvents<Op, Res>>[0])),
    options,
  );
}
