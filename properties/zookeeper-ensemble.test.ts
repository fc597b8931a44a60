// The ZooKeeper ensemble (models/zookeeper/ensemble): Zab replicating the data tree, clients
// that fail over between servers, the five guarantees as invariants. Pinned here: exhaustive
// counts of the faithful model in four configurations, every planted bug's shortest
// counterexample (saved in traces/zookeeper, replayed to its property in its minimal number of
// steps), and the story of a stale read after sync across a leader change.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { explore } from '../src/explore/explore.ts';
import { replayPath } from '../src/explore/path.ts';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { buildRegistered, instantiate } from '../src/verify/index.ts';
import { zookeeperDefinition, zookeeperEnsemble, ZOOKEEPER_DEFAULTS, type EnsembleState } from '../models/zookeeper/ensemble/index.ts';
import { recordedOps, serverViews } from '../models/zookeeper/ensemble/invariants.ts';

const traces = join(import.meta.dirname, '..', 'traces', 'zookeeper');

describe('the ZooKeeper ensemble keeps the five guarantees', () => {
  it('without faults (a write and a read, both clients at followers): every invariant holds exhaustively and the read can see the write', () => {
    const r = explore(zookeeperEnsemble({ ...ZOOKEEPER_DEFAULTS, timeoutsMax: 0 }));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 434, 983, 20]);
    expect(r.witnesses.map((w) => [w.name, w.reached])).toEqual([
      ['a write is acknowledged', true],
      ['a read returns', true],
      ['a read sees a write', true],
    ]);
  });

  it('a reader that fails over from the leader to a follower that has not applied what it saw is refused, and never reads an older state', () => {
    const def = zookeeperDefinition.scenarios!.find((s) => s.name === 'client-failover')!;
    const r = explore(zookeeperEnsemble({ ...ZOOKEEPER_DEFAULTS, ...def.params }));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 82_526, 207_220, 37]);
    expect(r.witnesses.every((w) => w.reached)).toBe(true);
  }, 120_000);

  it('an observer that forwards the writer\'s update and serves the reader never counts towards a quorum, and every guarantee holds', () => {
    const def = zookeeperDefinition.scenarios!.find((s) => s.name === 'observer')!;
    const r = explore(zookeeperEnsemble({ ...ZOOKEEPER_DEFAULTS, ...def.params }));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 87_095, 305_545, 37]);
    expect(r.witnesses.map((w) => [w.name, w.reached]).filter(([, reached]) => !reached)).toEqual([]);
  }, 120_000);

  it('the leader expires a session as a transaction: the client\'s server closes its connection, and nothing of the session is applied after the expiry', () => {
    const def = zookeeperDefinition.scenarios!.find((s) => s.name === 'session-expiry')!;
    const r = explore(zookeeperEnsemble({ ...ZOOKEEPER_DEFAULTS, ...def.params }));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 14_846, 45_412, 28]);
    expect(r.witnesses.map((w) => [w.name, w.reached])).toContainEqual(['a session expires while its client is connected', true]);
  });

  it('the writer alone, with a leader crash and two timeouts: a new leader of epoch 2 is established and every guarantee holds', () => {
    const def = zookeeperDefinition.scenarios!.find((s) => s.name === 'leader-crash')!;
    const r = explore(zookeeperEnsemble({ ...ZOOKEEPER_DEFAULTS, ...def.params }));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 182_305, 520_828, 49]);
    expect(r.witnesses.every((w) => w.reached)).toBe(true);
  }, 300_000);

  it('at the default bounds (a write, a read, two server timeouts, two epochs): every invariant holds exhaustively and every witness is reached', () => {
    const r = explore(zookeeperEnsemble(ZOOKEEPER_DEFAULTS));
    expect([r.status, r.distinctStates, r.totalStates, r.depth]).toEqual(['holds', 519_563, 1_662_920, 47]);
    expect(r.witnesses.every((w) => w.reached)).toBe(true);
  }, 600_000);
});

describe('ZooKeeper ensemble params', () => {
  it('a client placed at a server that does not exist is bad input naming the servers, not silently moved', () => {
    expect(() => instantiate(zookeeperDefinition, 'default', { writerAt: 5 })).toThrow('param writerAt=5 names no server: there are 3 (n1, n2, n3)');
    expect(() => instantiate(zookeeperDefinition, 'default', { observers: 1, readerAt: 5 })).toThrow('param readerAt=5 names no server: there are 4 (n1, n2, n3, o1)');
  });
});

describe('ZooKeeper ensemble planted bugs are found by BFS with their shortest counterexample, which replays', () => {
  it('a follower that forwards one client\'s writes in any order breaks SequentialConsistency in 11 steps', () => {
    const model = instantiate(zookeeperDefinition, 'forward-out-of-order').model;
    const v = explore(model).violations[0];
    expect([v.property, v.steps]).toEqual(['SequentialConsistency', 11]);
    expect(v.message).toBe("n3's log has (1,1) set x=v2 of c1 cxid 1 before (1,2) set x=v1 of c1 cxid 0: c1's updates are applied out of the order it sent them");
    expect(replayPath(model, v.path)).toEqual(v.run);
  });

  it.each([
    ['forward-out-of-order-sequentialconsistency', 'SequentialConsistency', 11],
    ['read-uncommitted-atomicity', 'Atomicity', 22],
    ['accept-client-ahead-singlesystemimage', 'SingleSystemImage', 22],
    ['ack-before-quorum-reliability', 'Reliability', 17],
    ['observer-ack-counted-atomicity', 'Atomicity', 19],
    ['sync-across-leader-change-stricttimeliness', 'StrictTimeliness', 31],
  ])('the saved trace %s replays to its %s violation in %i steps', (name, property, steps) => {
    const file = join(traces, `${name}.json`);
    const trace = loadTrace(file);
    expect([trace.property, trace.steps.length]).toEqual([property, steps]);
    expect(replayTrace(trace, file, buildRegistered).reproduced).toBe(true);
  });

  it('a read of an uncommitted proposal: the reader saw (1,1) at the leader, which the followers\' new leader of epoch 2 never had', () => {
    const file = join(traces, 'read-uncommitted-atomicity.json');
    const r = replayTrace(loadTrace(file), file, buildRegistered);
    expect(r.trace.message).toMatch(/^c2's get \(zxid \(1,1\), read x=v1, at n3\) saw transaction \(1,1\), but n2, the established leader of epoch 2, does not have it/);
  });

  it('an acknowledged write lost: the leader answered before a quorum logged it, and the followers elected a leader without it', () => {
    const file = join(traces, 'ack-before-quorum-reliability.json');
    const r = replayTrace(loadTrace(file), file, buildRegistered);
    const labels = r.trace.steps.map((s) => s.label);
    expect(labels.indexOf('n3->c1 0: ok v1 zxid=(1,1)')).toBeLessThan(labels.findIndex((l) => l.startsWith('elect ')));
    expect(labels.some((l) => /->n3 ACK \(1,1\)/.test(l))).toBe(false);
  });
});

describe('sync is not a quorum operation: a deposed leader answers it (traces/zookeeper/sync-across-leader-change-stricttimeliness)', () => {
  const file = join(traces, 'sync-across-leader-change-stricttimeliness.json');
  const r = replayTrace(loadTrace(file), file, buildRegistered);
  const states = r.states as EnsembleState[];
  const last = states[states.length - 1];
  const servers = ['n1', 'n2', 'n3'];

  it('the reader\'s sync and read were answered by n3, still leading epoch 1, after n2 was established for epoch 2 and the write was acknowledged at (2,1)', () => {
    const ops = recordedOps(last);
    const write = ops.find((o) => o.op.kind === 'set')!;
    const sync = ops.find((o) => o.op.kind === 'sync')!;
    const read = ops.find((o) => o.op.kind === 'get')!;
    expect([write.result!.epoch, write.answeredBy, sync.answeredBy, read.answeredBy, read.result!.value]).toEqual([2, 'n1', 'n3', 'n3', 'v0']);
    expect(write.returnedAt!).toBeLessThan(sync.invokedAt);
    const views = serverViews(last, servers);
    expect(views.map((v) => [v.id, v.s!.state, v.s!.established])).toEqual([
      ['n1', 'following', false],
      ['n2', 'leading', true],
      ['n3', 'leading', true],
    ]);
    expect(views.map((v) => v.d.led)).toEqual([[], [2], [1]]);
  });

  it('Timeliness, which excludes a leader change, holds in the final state; only StrictTimeliness fails', () => {
    const model = instantiate(zookeeperDefinition, 'default', { ...ZOOKEEPER_DEFAULTS, ...r.trace.params }).model;
    const broken = model.invariants.filter((i) => i.check(last as never) !== undefined).map((i) => i.name);
    expect(broken).toEqual(['StrictTimeliness']);
  });
});
