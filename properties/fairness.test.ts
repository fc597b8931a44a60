// Fairness a model declares: liveness assumes weak fairness only of what the model says (actor
// systems: delivery and local choices always, timers only when named), reports that assumption,
// and calls a state stuck when the goal is unreached and only faults and unfair actions are
// enabled, instead of skipping it.

import { describe, expect, it } from 'vitest';
import { actorSystem } from '../src/core/actors.ts';
import { checkLiveness } from '../src/explore/liveness.ts';
import { replayTrace, traceFromRun } from '../src/trace/trace.ts';
import { builderFor } from '../src/verify/index.ts';
import type { ModelDefinition } from '../src/core/model.ts';

/** One node that finishes only when its `wake` timer fires. */
function sleeper(fairTimers?: 'all' | readonly string[]) {
  return actorSystem<{ readonly done: boolean }, never, never, never, never>({
    nodes: [{ id: 'n1', spec: { init: () => ({ state: { done: false }, effects: [{ kind: 'set-timer', timer: 'wake' }] }), handle: () => ({ state: { done: true } }) } }],
    invariants: [],
    sometimes: [{ name: 'done', holds: (sys) => sys.nodes[0].state?.done === true }],
    goal: (sys) => sys.nodes[0].state?.done === true,
    describeMessage: () => '',
    ...(fairTimers === undefined ? {} : { fairness: { timers: fairTimers } }),
  });
}

describe('declared fairness', () => {
  it('a state where only an unfair timer can make progress is reported as stuck, saying what is enabled and what was assumed', () => {
    const r = checkLiveness(sleeper());
    expect([r.complete, r.distinctStates, r.stuckStates, r.livelocks]).toEqual([true, 2, 1, 0]);
    expect(r.stuck!.message).toBe(
      'only faults and actions not assumed fair are enabled (timeout n1 wake) and the goal is not reached ' +
        '(weak fairness of message delivery, local choices; timers and client requests may never happen; faults eventually stop)',
    );
  });

  it('declaring the timer fair (by name or all) makes the same model live, and the report says which fairness it assumed', () => {
    for (const timers of [['wake'], 'all'] as const) {
      const r = checkLiveness(sleeper(timers));
      expect([r.complete, r.stuckStates, r.livelocks]).toEqual([true, 0, 0]);
    }
    expect(checkLiveness(sleeper(['wake'])).fairness).toBe(
      'weak fairness of message delivery, local choices, the timers wake; other timers and client requests may never happen; faults eventually stop',
    );
  });

  it('the stuck trace replays as stuck under the same fairness', () => {
    const model = sleeper();
    const r = checkLiveness(model);
    const def: ModelDefinition = { name: 'sleeper', summary: '', source: '', params: [], variants: [{ name: 'default', description: '', expect: { status: 'holds' } }], create: () => sleeper() };
    const trace = traceFromRun({ model: 'sleeper', variant: 'default', params: {}, property: 'stuck', outcome: 'violation' }, r.stuck!.run);
    const replay = replayTrace(trace, 'sleeper.json', builderFor(() => def));
    expect([replay.reproduced, replay.observed]).toEqual([true, 'stuck: the goal does not hold and only faults and actions not assumed fair are enabled']);
  });
});
