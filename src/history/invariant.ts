// History checks as model invariants: an actor system records client invokes and returns in
// its state, so "the history so far is linearizable" is a property of each reachable state and
// the explorer reports the shortest run whose history is not.

import type { Invariant } from '../core/model.ts';
import type { SequentialSpec, Verdict } from './history.ts';
import { historyFromEvents } from './history.ts';
import { checkLinearizable } from './linearizability.ts';
import { checkSequentiallyConsistent } from './sequential.ts';

interface WithHistory {
  readonly history: readonly (
    | { readonly kind: 'invoke'; readonly client: number; readonly op: unknown }
    | { readonly kind: 'return'; readonly client: number; readonly result: unknown }
  )[];
}

function historyInvariant<S, Op, Res>(
  name: string,
  spec: SequentialSpec<S, Op, Res>,
  check: (spec: SequentialSpec<S, Op, Res>, events: WithHistory['history']) => Verdict,
): Invariant<WithHistory> {
  return {
    name,
    check: (state) => {
      if (state.history.length === 0) return undefined;
      const verdict = check(spec, state.history);
      if (verdict.ok) return undefined;
      // An exhausted search budget is not a violation, but it must not pass silently either.
      if (verdict.kind === 'unknown') throw new Error(`${name}: history check gave up: ${verdict.explanation}`);
      return verdict.explanation;
    },
  };
}

/** The recorded client history is linearizable with respect to `spec`. */
export function linearizableHistory<S, Op, Res>(spec: SequentialSpec<S, Op, Res>, name = 'Linearizable'): Invariant<WithHistory> {
  return historyInvariant(name, spec, (sp, events) =>
    checkLinearizable(sp, historyFromEvents(events as Parameters<typeof historyFromEvents<Op, Res>>[0])),
  );
}

/** The recorded client history is sequentially consistent (per-client order) w.r.t. `spec`. */
export function sequentiallyConsistentHistory<S, Op, Res>(spec: SequentialSpec<S, Op, Res>, name = 'SequentiallyConsistent'): Invariant<WithHistory> {
  return historyInvariant(name, spec, (sp, events) =>
    checkSequentiallyConsistent(sp, historyFromEvents(events as Parameters<typeof historyFromEvents<Op, Res>>[0])),
  );
}
