// The ZooKeeper recipes driven by fast-check: a schedule is a sequence of choices among the
// enabled actions — the clients' ZooKeeper calls and local steps, the receipt of replies and
// watch events, and the faults (partitions, lost writes, crashes, ticks and expiries) — so each
// run is a random command sequence of every client against the service. The faithful recipes
// keep every property on random schedules; the same properties fail on the planted bugs, and
// fast-check shrinks each failure to a counterexample no shorter than BFS's minimal one, which
// replays.

import { describe, expect } from 'vitest';
import { it, test } from '@fast-check/vitest';
import { assertSchedule, checkWithFastCheck } from '../src/check/runner.ts';
import { faultBiasedSchedule } from '../src/check/schedule.ts';
import { replayTrace } from '../src/trace/trace.ts';
import { buildRegistered, checksOf, findModel } from '../src/verify/index.ts';
import { RECIPES } from '../models/zookeeper/recipes/index.ts';

const def = findModel('zookeeper-recipes');

/** The params of each recipe's faithful row of check --all (the default row is the lock's). */
function rowParams(recipe: string): Readonly<Record<string, number>> {
  const row = checksOf(def).find((c) => (recipe === 'lock' ? c.row.name === 'default' : c.row.name === recipe))!;
  return row.instance.params;
}

describe('fast-check: random schedules of the faithful recipes', () => {
  for (const recipe of RECIPES) {
    test.prop([faultBiasedSchedule({ depthMax: 40 })], { numRuns: 150, seed: 7 })(
      `${recipe}: every random command sequence of its clients, with faults, keeps every property`,
      (schedule) => {
        assertSchedule(def, 'default', rowParams(recipe), schedule);
      },
    );
  }
});

// [variant, params on top of the variant's, the property fast-check finds, BFS's minimal length].
// Faults a bug does not need are turned off so that the schedules spend their steps on the
// clients. lock-unfenced is not here: its lost update needs a partition, a tick, the expiry
// and the stale holder's write in one order, which 5,000 fault-biased runs did not hit (BFS
// finds it: zookeeper-recipes.test.ts).
const bugs = [
  ['lock-expired-holder', { crashesMax: 0 }, 'OneBelievedHolder', 11],
  ['lock-herd', {}, 'NoHerdEffect', 13],
  ['lock-no-recheck', {}, 'MutualExclusion', 15],
  ['election-owner-unchecked', {}, 'MasterOwnsNode', 5],
  ['queue-plain-delete', {}, 'NothingLost', 10],
  ['queue-assume-taken', {}, 'DeliveredOnce', 10],
  ['barrier-counts-self-twice', {}, 'NobodyPassesEarly', 6],
  ['config-no-rewatch', { crashesMax: 0, partitionsMax: 0 }, 'SettledOnLatest', 9],
  ['membership-persistent', {}, 'MembersAreLiveSessions', 8],
  ['naming-child-count', {}, 'NamesUnique', 5],
  ['registry-no-repick', {}, 'LoadSpread', 9],
] as const;

describe('fast-check: the planted bugs', () => {
  it.each(bugs)('%s: random schedules (params %j) break %s, shrunk to at least BFS\'s %i steps, and the counterexample replays', (variant, params, property, bfsSteps) => {
    const r = checkWithFastCheck(def, variant, params, { seed: 1, numRuns: 4000 });
    expect(r.ok).toBe(false);
    expect(r.failure!.property).toBe(property);
    expect(r.shrunk!.steps).toBeGreaterThanOrEqual(bfsSteps);
    expect(r.shrunk!.steps).toBeLessThanOrEqual(2 * bfsSteps);
    const replay = replayTrace(r.trace!, `${variant} (fast-check)`, buildRegistered);
    expect([replay.reproduced, replay.observed]).toEqual([true, `${property} violated: ${r.failure!.message}`]);
  });
});
