// ZooKeeper session semantics model-checked over the data-tree reducer (models/zookeeper-session):
// the server's rules hold in every reachable state of two clients within the bounds, and each
// planted bug in the reducer (or in the order of a connection's messages) is found by BFS with
// its shortest counterexample, which replays from its saved trace.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { explore } from '../src/explore/explore.ts';
import { buildRegistered, findModel, instantiate } from '../src/verify/index.ts';
import { zookeeperSession } from '../models/zookeeper-session/index.ts';

const def = findModel('zookeeper-session');
const stats = (r: ReturnType<typeof explore>) => [r.status, r.distinctStates, r.totalStates, r.depth];

describe('zookeeper-session: ephemerals, sequence numbers, watches and ACLs of one server', () => {
  // The default row of check --all (zxidMax 4, timeMax 2) has 137,557 states; the tests pin a
  // smaller clock so that they stay fast.
  it('with four transactions and one tick the server keeps every session rule, and every witness is reached', () => {
    const r = explore(zookeeperSession({ zxidMax: 4, connectsMax: 2, timeMax: 1, sessionTimeout: 1 }));
    expect(stats(r)).toEqual(['holds', 50_567, 317_847, 13]);
    expect(r.witnesses.filter((w) => !w.reached).map((w) => w.name)).toEqual([]);
  });

  it('a session is expired only after its timeout without a request or ping: with no tick there is no expiry', () => {
    const r = explore(zookeeperSession({ zxidMax: 4, connectsMax: 2, timeMax: 0, sessionTimeout: 1 }));
    expect(r.status).toBe('holds');
    expect(r.witnesses.find((w) => w.name === 'an expiry removes an ephemeral')!.reached).toBe(false);
  });

  it.each([
    ['expiry-leaves-ephemerals', 'NoEphemeralOutlivesSession', 3],
    ['watch-fires-twice', 'WatchFiresOnce', 6],
    ['sequence-from-child-count', 'SequenceNumbersIncrease', 5],
    ['delete-checks-node-acl', 'DeleteNeedsParentPermission', 3],
    ['multi-keeps-applied-ops', 'FailedRequestChangesNothing', 2],
    ['read-overtakes-watch-event', 'WatchEventBeforeNewerData', 4],
  ])('the %s bug breaks %s, found by BFS in %i steps, and its saved trace replays', (variant, property, steps) => {
    const r = explore(instantiate(def, variant).model);
    const v = r.violations.find((x) => x.property === property)!;
    expect(v.steps).toBe(steps);
    const file = join(import.meta.dirname, '..', 'traces', 'zookeeper-session', `${variant}-${property.toLowerCase()}.json`);
    const trace = loadTrace(file);
    expect([trace.property, trace.steps.length]).toEqual([property, steps]);
    expect(replayTrace(trace, file, buildRegistered).reproduced).toBe(true);
  });

  it('a reused sequence number is reported with both names', () => {
    const r = explore(instantiate(def, 'sequence-from-child-count').model);
    expect(r.violations[0].message).toBe('/q/s-0000000000 was created after /q/s-0000000000');
  });
});
