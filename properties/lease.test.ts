// Lease-based leader election under bounded clock skew (models/lease): leases stay exclusive
// with the margin 2·skewMax, at every skew from 0 to 2; each planted bug is found with its
// shortest counterexample, which replays; the margin is tight; and the optional reduction of
// models/lease/system.ts (forgetStale, off by default) changes no verdict of these handlers. Exhaustive runs pin [status, distinct, total, depth].

import { describe, expect, it } from 'vitest';
import { explore, type ExploreResult } from '../src/explore/explore.ts';
import { replayTrace } from '../src/trace/trace.ts';
import { buildRegistered, findScenario, instantiate, runCheck, scenarioCheck, variantCheck, type Outcome } from '../src/verify/index.ts';
import { leaseDefinition, type LeaseParams, type LeaseVariant } from '../models/lease/index.ts';
import { leaseSystem } from '../models/lease/system.ts';

const stats = (o: Outcome) => [o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth];
const exploreStats = (r: ExploreResult) => [r.status, r.distinctStates, r.totalStates, r.depth];
const witnessDepths = (r: ExploreResult) => r.witnesses.map((w) => [w.name, w.depth]);
const build = (variant: string, params: Partial<LeaseParams> = {}) => instantiate(leaseDefinition, variant, params).model;

/** A planted bug's row found its expected violation, and the counterexample replays on the
 * registered model to that violation. */
function caught(o: Outcome): [string, number, boolean] {
  const f = o.findings[0];
  const replayed = replayTrace(f.trace!, `lease-${o.check.row.name}.json`, buildRegistered).reproduced;
  return [f.property, f.steps, o.matchesExpected && replayed];
}

const HOLDERS = /^n\d \(clock \d+, lease until \d+\) and n\d \(clock \d+, lease until \d+\) both hold a valid lease$/;

describe('a leader that subtracts 2·skewMax from its lease keeps leases exclusive', () => {
  it('at the defaults (D=3, skewMax=1, timeMax=3, no reduction): 371,230 distinct states, 1,615,483 generated, depth 25, and a second leader is elected', () => {
    const o = runCheck(variantCheck(leaseDefinition, 'default'));
    expect(stats(o)).toEqual(['holds', 371_230, 1_615_483, 25]);
    expect(o.matchesExpected).toBe(true);
    expect(o.result.kind === 'safety' && witnessDepths(o.result.explore)).toEqual([
      ['a lease is held', 4],
      ['leadership passes to a second node', 14],
    ]);
  });

  // A one-tick lease (D = 2·skewMax + 1) and time for it to end and a second leader to be
  // elected (timeMax = D + 1), with stale messages forgotten (see the last describe).
  it.each([
    [0, 1, 2, ['holds', 7_110, 20_841, 18], 8],
    [1, 3, 4, ['holds', 77_012, 237_472, 25], 14],
    [2, 5, 6, ['holds', 373_301, 1_162_585, 31], 18],
  ])('with skewMax=%i (D=%i, timeMax=%i) every run keeps leases exclusive, and leadership passes to a second node', (skewMax, leaseDuration, timeMax, expected, passes) => {
    const r = explore(build('default', { skewMax, leaseDuration, timeMax, forgetStale: 1 }));
    expect(exploreStats(r)).toEqual(expected);
    expect(witnessDepths(r)).toEqual([
      ['a lease is held', 4],
      ['leadership passes to a second node', passes],
    ]);
  });

  it('with skewMax=2 and D=3 the margin (4) outlasts every promise, so no lease is ever held and the check says it is vacuous', () => {
    const r = explore(build('default', { skewMax: 2, forgetStale: 1 }));
    expect(r.status).toBe('holds');
    expect(r.witnesses.every((w) => !w.reached)).toBe(true);
  });

  it('with a node crashing and restarting with nothing persisted (it waits out one lease duration), leases stay exclusive', () => {
    const o = runCheck(scenarioCheck(leaseDefinition, findScenario(leaseDefinition, 'exclusive-under-crashes')));
    expect(stats(o)).toEqual(['holds', 82_608, 307_090, 24]);
    expect(o.matchesExpected).toBe(true);
  });
});

describe('lease planted bugs are found with their shortest counterexample', () => {
  it.each([
    ['leader-ignores-drift', 13],
    ['leader-subtracts-drift-once', 13],
    ['restart-forgets-promise', 8],
  ])('the %s bug breaks LeaseExclusive in %i steps, naming both holders with their clocks and lease ends, and the run replays', (variant, steps) => {
    const o = runCheck(variantCheck(leaseDefinition, variant));
    expect(caught(o)).toEqual(['LeaseExclusive', steps, true]);
    expect(o.findings[0].message).toMatch(HOLDERS);
  });

  it('with clocks that never disagree (skewMax=0) neither drift bug can show: both explore the default\'s 121,732 states and hold', () => {
    const o = runCheck(scenarioCheck(leaseDefinition, findScenario(leaseDefinition, 'synchronised-clocks-need-no-margin')));
    expect([...stats(o), o.matchesExpected]).toEqual(['holds', 121_732, 516_202, 19, true]);
    expect(exploreStats(explore(build('leader-subtracts-drift-once', { skewMax: 0 })))).toEqual(['holds', 121_732, 516_202, 19]);
  });

  it('the margin 2·skewMax is tight: one less breaks exclusivity at skewMax=1 (the subtracts-once bug) and at skewMax=2 (margin 3, D=5, in 17 steps)', () => {
    const r = explore(leaseSystem({ leaseDuration: 5, margin: 3, restartForgetsPromise: false, skewMax: 2, timeMax: 6, crashesMax: 0, forgetStale: true }));
    expect([r.violations[0]?.property, r.violations[0]?.steps]).toEqual(['LeaseExclusive', 17]);
    expect(r.violations[0].message).toMatch(HOLDERS);
  });
});

describe('forgetting stale messages (forgetStale=1, off by default) hides nothing from these handlers', () => {
  const bugs: readonly [LeaseVariant, number][] = [
    ['leader-ignores-drift', 13],
    ['leader-subtracts-drift-once', 13],
    ['restart-forgets-promise', 8],
  ];

  it('the default holds with and without it at timeMax=3, with the same witnesses: 24,467 states against 371,230', () => {
    const reduced = explore(build('default', { forgetStale: 1 }));
    expect(exploreStats(reduced)).toEqual(['holds', 24_467, 71_827, 22]);
    expect(witnessDepths(reduced)).toEqual([
      ['a lease is held', 4],
      ['leadership passes to a second node', 14],
    ]);
  });

  it.each(bugs)('with it the %s bug is found at the same minimal length, %i steps', (variant, steps) => {
    const r = explore(build(variant, { forgetStale: 1, ...(variant === 'restart-forgets-promise' ? { crashesMax: 1 } : {}) }));
    expect([r.violations[0]?.property, r.violations[0]?.steps]).toEqual(['LeaseExclusive', steps]);
  });
});
