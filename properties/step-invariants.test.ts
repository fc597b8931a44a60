// Step invariants (TLA+'s action properties [][P]_vars; Raft's Leader Append-Only): a property
// of every step, which no invariant of single states can express. The toy below breaks one only
// by a step between two states that are both reachable in good runs, so an engine that checked
// states alone would report `holds`.

import { describe, expect, it } from 'vitest';
import type { Model } from '../src/core/model.ts';
import { explore } from '../src/explore/explore.ts';
import { replayPath } from '../src/explore/path.ts';
import { simulate } from '../src/explore/simulate.ts';
import { runSchedule } from '../src/check/schedule.ts';
import { replayTrace, traceFromRun } from '../src/trace/trace.ts';

type Action = 'inc' | 'dec' | 'wrap';

/** A counter 0..3: `inc` below 3, `wrap` from 3 to 0; with `dec`, also 2 -> 1 (the bug). */
function counter(dec: boolean): Model<number, Action> {
  return {
    init: [0],
    actions: (x) => [...(x < 3 ? ['inc' as const] : ['wrap' as const]), ...(dec && x === 2 ? ['dec' as const] : [])],
    step: (x, a) => (a === 'inc' ? x + 1 : a === 'wrap' ? 0 : x - 1),
    invariants: [{ name: 'InRange', check: (x) => (x >= 0 && x <= 3 ? undefined : `x = ${x}`) }],
    stepInvariants: [{
      name: 'OnlyGrowsOrWraps',
      check: (before, action, after) => (after > before || (before === 3 && after === 0) ? undefined : `${action} took x from ${before} to ${after}`),
    }],
    sometimes: [],
    describe: (a) => a,
    isFinal: () => true,
  };
}

describe('step invariants are checked by every engine', () => {
  it('the explorer checks every edge, also one into a state already seen, and its counterexample ends with the breaking step', () => {
    expect(explore(counter(false))).toMatchObject({ status: 'holds', distinctStates: 4, totalStates: 5, depth: 4 });
    for (const strategy of ['bfs', 'dfs'] as const) {
      const r = explore(counter(true), { strategy });
      expect(r.status).toBe('violation');
      const v = r.violations[0];
      expect([v.property, v.steps, v.message, v.path]).toEqual(['OnlyGrowsOrWraps', 3, 'dec took x from 2 to 1', [0, 0, 0, 1]]);
      expect(replayPath(counter(true), v.path)).toEqual(v.run);
    }
  });

  it('depth-first under a depth bound finds it too, and the bound is reported when it cut the search', () => {
    expect(explore(counter(true), { strategy: 'dfs', depthMax: 4 }).violations[0].steps).toBe(3);
    expect(explore(counter(false), { strategy: 'dfs', depthMax: 3 })).toMatchObject({ status: 'bounded', boundsHit: ['depthMax'] });
  });

  it('an expected step-invariant violation is recorded and the search goes on past it, without following the breaking step', () => {
    const r = explore(counter(true), { expectViolationOf: ['OnlyGrowsOrWraps'] });
    expect(r.violations.map((v) => [v.property, v.steps])).toEqual([['OnlyGrowsOrWraps', 3]]);
    expect(r).toMatchObject({ status: 'violation', distinctStates: 4 });
  });

  it('a state first reached by a breaking step is still explored when another step reaches it: what lies only behind it is not hidden', () => {
    // x counts 0..8 by `inc`; `jump` takes 0 to 5 at once (breaking OnlyIncrements); `Bad`
    // fails at x = bad, which the run 0, 1, ..., 8 reaches without breaking anything.
    const jumper = (bad: number): Model<number, 'inc' | 'jump'> => ({
      init: [0],
      actions: (x) => [...(x < 8 ? ['inc' as const] : []), ...(x === 0 ? ['jump' as const] : [])],
      step: (x, a) => (a === 'inc' ? x + 1 : 5),
      invariants: [{ name: 'Bad', check: (x) => (x === bad ? `x = ${bad}` : undefined) }],
      stepInvariants: [{ name: 'OnlyIncrements', check: (b, a, x) => (x === b + 1 ? undefined : `${a} took x from ${b} to ${x}`) }],
      sometimes: [],
      describe: (a) => a,
      isFinal: () => true,
    });
    for (const bad of [5, 7]) {
      const expected = explore(jumper(bad), { expectViolationOf: ['OnlyIncrements'] });
      expect(expected.violations.map((v) => [v.property, v.steps])).toEqual([['OnlyIncrements', 1], ['Bad', bad]]);
      const all = explore(jumper(bad), { continueAfterViolation: true });
      expect(all.violations.map((v) => [v.property, v.steps])).toEqual([['OnlyIncrements', 1], ['Bad', bad]]);
    }
    expect(explore(jumper(-1), { continueAfterViolation: true })).toMatchObject({ status: 'violation', distinctStates: 9 });
  });

  it('simulation and fast-check schedules stop at the breaking step', () => {
    const sim = simulate(counter(true), { runs: 20, depthMax: 10, seed: 1 });
    expect(sim.violations.map((v) => [v.property, v.message])).toEqual([['OnlyGrowsOrWraps', 'dec took x from 2 to 1']]);
    const outcome = runSchedule(counter(true), [0, 0, 1, 0, 0]);
    expect(outcome.failure).toMatchObject({ property: 'OnlyGrowsOrWraps', message: 'dec took x from 2 to 1' });
    expect(outcome.run.steps.map((s) => s.label)).toEqual(['inc', 'inc', 'dec']);
    expect(runSchedule(counter(false), [0, 0, 0, 0, 0]).failure).toBeUndefined();
  });

  it('a saved trace is judged on its last step, and one that breaks the property earlier is not the recorded run', () => {
    const build = () => counter(true);
    const info = { model: 'counter', variant: 'dec', params: {}, property: 'OnlyGrowsOrWraps', outcome: 'violation' as const };
    const breaking = traceFromRun(info, replayPath(counter(true), [0, 0, 0, 1]));
    expect(replayTrace(breaking, 'breaking.json', build)).toMatchObject({ reproduced: true, observed: 'OnlyGrowsOrWraps violated: dec took x from 2 to 1' });
    const longer = traceFromRun(info, replayPath(counter(true), [0, 0, 0, 1, 0]));
    expect(replayTrace(longer, 'longer.json', build)).toMatchObject({ reproduced: false, observed: 'OnlyGrowsOrWraps already fails at step 3: dec took x from 2 to 1' });
    const shorter = traceFromRun(info, replayPath(counter(true), [0, 0, 0]));
    expect(replayTrace(shorter, 'shorter.json', build)).toMatchObject({ reproduced: false, observed: 'OnlyGrowsOrWraps holds on the last step' });
  });
});
