// ZooKeeper session semantics model-checked over the data-tree reducer (models/zookeeper-session):
// the server's rules hold in every reachable state of two clients within the bounds, and each
// planted bug in the reducer (or in the order of a connection's messages) is found by BFS with
// its shortest counterexample, which replays from its saved trace.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { buildRegistered, findModel, findScenario, runCheck, scenarioCheck, variantCheck, type Outcome } from '../src/verify/index.ts';

const def = findModel('zookeeper-session');
const stats = (o: Outcome) => [o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth];

describe('zookeeper-session: ephemerals, sequence numbers, watches and ACLs of one server', () => {
  it('with four transactions the server keeps every session rule, and every witness is reached: 11,002 states', () => {
    const o = runCheck(variantCheck(def, 'default'));
    expect(stats(o)).toEqual(['holds', 11_002, 58_319, 11]);
    expect(o.result.kind === 'safety' && o.result.explore.witnesses.every((w) => w.reached)).toBe(true);
  });

  it('with five transactions it still holds: 82,688 states', () => {
    const o = runCheck(scenarioCheck(def, findScenario(def, 'five-transactions')));
    expect(stats(o)).toEqual(['holds', 82_688, 448_187, 12]);
  });

  it.each([
    ['expiry-leaves-ephemerals', 'NoEphemeralOutlivesSession', 3],
    ['watch-fires-twice', 'WatchFiresOnce', 6],
    ['sequence-from-child-count', 'SequenceNumbersIncrease', 5],
    ['delete-checks-node-acl', 'DeleteNeedsParentPermission', 3],
    ['multi-keeps-applied-ops', 'FailedRequestChangesNothing', 2],
    ['read-overtakes-watch-event', 'WatchEventBeforeNewerData', 4],
  ])('the %s bug breaks %s, found by BFS in %i steps, and its saved trace replays', (variant, property, steps) => {
    const o = runCheck(variantCheck(def, variant));
    expect(o.matchesExpected).toBe(true);
    const f = o.findings.find((x) => x.property === property)!;
    expect(f.steps).toBe(steps);
    const file = join(import.meta.dirname, '..', 'traces', 'zookeeper-session', `${variant}-${property.toLowerCase()}.json`);
    const trace = loadTrace(file);
    expect([trace.property, trace.steps.length]).toEqual([property, steps]);
    expect(replayTrace(trace, file, buildRegistered).reproduced).toBe(true);
  });

  it('a reused sequence number is reported with both names', () => {
    const o = runCheck(variantCheck(def, 'sequence-from-child-count'));
    expect(o.findings[0].message).toBe('/q/s-0000000000 was created after /q/s-0000000000');
  });
});
