// The ZooKeeper recipes model-checked against the service with client crashes, connection loss
// and session expiry (models/zookeeper/recipes): every row of `check --all` is pinned as
// [status, distinct, total, depth]; every faithful row is exhausted and reaches its witnesses;
// every planted bug is found by BFS with its shortest counterexample, saved under
// traces/zookeeper-recipes, which replays. The herd effect is measured as the most waiters one
// release wakes.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { explore } from '../src/explore/explore.ts';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { buildRegistered, checksOf, findModel, instantiate, runCheck, type Outcome } from '../src/verify/index.ts';
import { InputError } from '../src/core/model.ts';
import { RECIPES, zookeeperRecipes } from '../models/zookeeper/recipes/index.ts';
import type { RecipeState } from '../models/zookeeper/recipes/service.ts';
import type { LockWorld } from '../models/zookeeper/recipes/lock.ts';

const def = findModel('zookeeper-recipes');
const traces = join(import.meta.dirname, '..', 'traces', 'zookeeper-recipes');
const outcomes = new Map<string, Outcome>();
/** Each row of check --all, run once (as check --all runs it). */
function row(name: string): Outcome {
  if (!outcomes.has(name)) {
    const check = checksOf(def).find((c) => c.row.name === name);
    if (check === undefined) throw new Error(`no row ${name}`);
    outcomes.set(name, runCheck(check));
  }
  return outcomes.get(name)!;
}
const stats = (o: Outcome) => [o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth];

// Faithful rows: [row, its recipe, [status, distinct, total, depth]].
const faithful: readonly [string, string, readonly [string, number, number, number]][] = [
  ['default', 'lock', ['holds', 34_428, 66_619, 36]],
  ['lock-three-clients', 'lock', ['holds', 104_032, 237_541, 36]],
  ['lock-three-clients-partition', 'lock', ['holds', 213_560, 581_338, 39]],
  ['election', 'election', ['holds', 195_419, 472_798, 38]],
  ['queue', 'queue', ['holds', 26_463, 55_789, 33]],
  ['barrier', 'barrier', ['holds', 15_958, 31_681, 23]],
  ['membership', 'membership', ['holds', 12_290, 25_351, 20]],
  ['naming', 'naming', ['holds', 46_748, 78_237, 20]],
  ['queue-two-consumers', 'queue', ['holds', 152_106, 388_721, 41]],
  ['config', 'config', ['holds', 59_440, 180_029, 20]],
  ['registry', 'registry', ['holds', 13_899, 39_575, 19]],
  ['registry-partition', 'registry', ['holds', 48_220, 151_361, 24]],
];

// Planted bugs and claims: [variant, property, BFS's minimal length, [status, distinct, total, depth]].
const bugs: readonly [string, string, number, readonly [string, number, number, number]][] = [
  ['lock-expired-holder', 'OneBelievedHolder', 11, ['violation', 33_916, 65_411, 36]],
  ['lock-unfenced', 'NoLostUpdate', 15, ['violation', 31_586, 61_141, 36]],
  ['lock-herd', 'NoHerdEffect', 13, ['violation', 13_438, 32_419, 31]],
  ['lock-no-recheck', 'MutualExclusion', 15, ['violation', 96_532, 221_443, 35]],
  ['election-owner-unchecked', 'OneMasterPerEpoch', 6, ['violation', 5_196, 9_241, 24]],
  ['queue-plain-delete', 'NothingLost', 10, ['violation', 25_787, 53_783, 41]],
  ['queue-assume-taken', 'DeliveredOnce', 10, ['violation', 26_755, 55_615, 33]],
  ['barrier-counts-self-twice', 'NobodyPassesEarly', 6, ['violation', 13_368, 26_207, 22]],
  ['config-no-rewatch', 'SettledOnLatest', 9, ['violation', 3_954, 8_427, 18]],
  ['membership-persistent', 'MembersAreLiveSessions', 8, ['violation', 9_032, 18_843, 20]],
  ['naming-child-count', 'NamesUnique', 5, ['violation', 40_354, 63_597, 20]],
  ['registry-no-repick', 'NoDeadRoute', 11, ['violation', 10_691, 28_589, 14]],
];

/** Properties a planted bug breaks besides the one its row names (the `also` of its variant). */
const ALSO_BROKEN = ['MasterOwnsNode', 'OneLiveMaster', 'LoadSpread'];
/** Properties no planted bug breaks, said here rather than hidden: FifoOrder holds for any
 * consumer that takes the lowest suffix it listed, ViewMonotone for any reader of one
 * linearizable tree; each is still checked in every state of its rows. */
const UNBROKEN: Readonly<Record<string, readonly string[]>> = { queue: ['FifoOrder'], config: ['ViewMonotone'] };

describe('zookeeper-recipes: the rows of check --all', () => {
  it('has one row per faithful recipe configuration and per planted bug, and every recipe has a faithful row and a bug', () => {
    const rows = checksOf(def).map((c) => c.row.name).sort();
    expect(rows).toEqual([...faithful.map(([n]) => n), ...bugs.map(([v]) => v)].sort());
    for (const r of RECIPES) {
      expect(faithful.some(([, recipe]) => recipe === r), `${r} has a faithful row`).toBe(true);
      expect(bugs.some(([v]) => v.startsWith(`${r}-`)), `${r} has a planted bug`).toBe(true);
    }
    // Every property of every recipe is broken by some row (none is a check that cannot fail).
    for (const r of RECIPES) {
      const names = instantiate(def, 'default', { recipe: RECIPES.indexOf(r) }).model.invariants.map((i) => i.name);
      const broken = bugs.filter(([v]) => v.startsWith(`${r}-`)).map(([, p]) => p);
      expect(names.filter((n) => !broken.includes(n) && !ALSO_BROKEN.includes(n)), `${r}: properties no planted bug breaks`).toEqual(UNBROKEN[r] ?? []);
    }
  });

  it.each(faithful)('%s (%s) holds, exhausted, with every witness reached', (name, _recipe, pinned) => {
    const o = row(name);
    expect(o.matchesExpected, o.verdict).toBe(true);
    expect(stats(o)).toEqual(pinned);
    expect(o.summary.boundsHit).toEqual([]);
    const witnesses = o.result.kind === 'safety' ? o.result.explore.witnesses : [];
    expect(witnesses.length).toBeGreaterThan(0);
    expect(witnesses.filter((w) => !w.reached).map((w) => w.name)).toEqual([]);
  });

  it.each(bugs)('%s breaks %s, found by BFS in %i steps, exhausted, and its saved trace replays', (variant, property, steps, pinned) => {
    const o = row(variant);
    expect(o.matchesExpected, o.verdict).toBe(true);
    expect(stats(o)).toEqual(pinned);
    expect(o.summary.boundsHit).toEqual([]);
    const found = o.findings.find((f) => f.property === property)!;
    expect(found.steps).toBe(steps);
    const file = join(traces, `${variant}-${property.toLowerCase()}.json`);
    const trace = loadTrace(file);
    expect([trace.property, trace.steps.length, trace.variant]).toEqual([property, steps, variant]);
    expect(replayTrace(trace, file, buildRegistered).reproduced).toBe(true);
  });
});

describe('zookeeper-recipes: what the counterexamples say', () => {
  const message = (variant: string, property: string) => row(variant).findings.find((f) => f.property === property)!.message;

  it('the known lock hazard: a holder cut off from the service still believes after its session expired and the next client acquired, while fencing keeps the resource safe', () => {
    expect(message('lock-expired-holder', 'OneBelievedHolder')).toBe(
      'c0 (session 2, /lock/c0s2-0000000000) and c1 (session 3, /lock/c1s3-0000000001) both believe they hold the lock (c0: session expired, not yet told)',
    );
    // The row is exhausted past the violation, and it breaks nothing else: MutualExclusion
    // (live sessions only) and NoLostUpdate (fenced) hold in every reachable state.
    expect(row('lock-expired-holder').findings.map((f) => f.property)).toEqual(['OneBelievedHolder']);
  });

  it('without fencing the stale holder loses an increment of the protected resource', () => {
    expect(message('lock-unfenced', 'NoLostUpdate')).toBe('c1 (token 1) wrote 1 over 1, written by c0 (token 0) after c1 read 0: an increment is lost');
  });

  it('a lock that does not list /lock again after the watch fires has two live holders', () => {
    expect(message('lock-no-recheck', 'MutualExclusion')).toBe(
      'c0 (session 2, /lock/c0s2-0000000000) and c2 (session 4, /lock/c2s4-0000000002) both hold the lock with live sessions',
    );
  });

  it('the election bug makes two masters of one epoch, and the taker does not own /master', () => {
    expect(message('election-owner-unchecked', 'OneMasterPerEpoch')).toBe('c0 (session 2) and c1 (session 3) both act as master of epoch 5 (/master is owned by session 2)');
    expect(row('election-owner-unchecked').findings.find((f) => f.property === 'MasterOwnsNode')!.steps).toBe(5);
  });

  it.each([
    ['queue-plain-delete', 'NothingLost', '/queue/p0-0000000000 was produced, is no longer queued, and was delivered to no one'],
    ['queue-assume-taken', 'DeliveredOnce', '/queue/p0-0000000000 was delivered to c1 and again to c1'],
    ['barrier-counts-self-twice', 'NobodyPassesEarly', 'c0 passed the barrier before c1 entered'],
    ['config-no-rewatch', 'SettledOnLatest', 'sub1 settled on v1 while /config holds v2 (version 2)'],
    ['membership-persistent', 'MembersAreLiveSessions', '/members lists [c0, c1] but the clients with live sessions are [c0]'],
    ['naming-child-count', 'NamesUnique', '/names/n-0000000000 was handed to c0 and again to c1'],
    ['registry-no-repick', 'NoDeadRoute', 'r1 is routed to s1 (crashed, its session expired), which /services no longer lists: [s0]'],
  ])('%s: %s says %j', (variant, property, text) => {
    expect(message(variant, property)).toBe(text);
  });
});

describe('zookeeper-recipes: the herd effect, measured', () => {
  /** The most waiters one release (a delete or an expiry of a lock node) wakes, over every
   * reachable state of three lock clients without faults. */
  function wakeupsMax(variant: string): number {
    const model = zookeeperRecipes({ ...instantiate(def, variant).params, clients: 3, partitionsMax: 0, crashesMax: 0 }, variant);
    const probe = {
      ...model,
      invariants: model.invariants.filter((i) => i.name !== 'NoHerdEffect'),
      sometimes: [1, 2, 3].map((k) => ({ name: `${k}`, holds: (s: RecipeState<unknown, LockWorld>) => s.world.wakeupsMax >= k })),
    };
    const r = explore(probe);
    expect(r.status).toBe('holds');
    return r.witnesses.filter((w) => w.reached).length;
  }

  it('with a holder and two waiters, a release wakes one waiter when each watches its predecessor, and both when all watch /lock', () => {
    expect(wakeupsMax('default')).toBe(1);
    expect(wakeupsMax('lock-herd')).toBe(2);
  });
});

describe('zookeeper-recipes: params', () => {
  it('a bug of one recipe cannot run on another', () => {
    expect(() => instantiate(def, 'lock-herd', { recipe: 2 })).toThrow(InputError);
    expect(() => instantiate(def, 'lock-herd', { recipe: 2 })).toThrow("variant 'lock-herd' is a bug of the lock recipe (recipe=0), not of queue (recipe=2)");
  });
});

describe('zookeeper-recipes: the service and its faults', () => {
  type S = RecipeState<{ readonly phase: string; readonly epoch: number; readonly lostCreate: boolean }, unknown>;
  const election = () => instantiate(def, 'default', { recipe: RECIPES.indexOf('election') }).model;
  /** Takes the enabled steps with these labels, in order, failing on one that is not enabled. */
  function run(labels: readonly string[]): S {
    const m = election();
    let s = m.init[0] as S;
    for (const label of labels) {
      const a = m.actions(s).find((x: unknown) => m.describe(x) === label);
      if (a === undefined) throw new Error(`${label} is not enabled; enabled: ${m.actions(s).map((x: unknown) => m.describe(x)).join('; ')}`);
      s = m.step(s, a) as S;
    }
    return s;
  }
  const enabled = (s: S) => election().actions(s).map((x: unknown) => election().describe(x));

  it('a write lost with the connection is not applied; the client gets ConnectionLoss and then finds /master missing', () => {
    const s = run(['c0 create /master ephemeral "c0" lost with the connection']);
    expect(s.tree.nodes['/master']).toBeUndefined();
    expect([s.slots[0].conn, s.slots[0].c.phase, s.slots[0].c.lostCreate]).toEqual(['down', 'watch', true]);
    const back = run(['c0 create /master ephemeral "c0" lost with the connection', 'c0 reconnects', 'c0 exists /master watch', 'c0 <- NoNode (exists /master watch)']);
    expect(back.slots[0].c.phase).toBe('start');
  });

  it('a partition after the call loses the reply of an applied write; the client learns from the Stat that /master is its own', () => {
    const s = run(['c0 create /master ephemeral "c0"', 'partition c0 from the service']);
    expect(s.tree.nodes['/master'].stat.ephemeralOwner).toBe(s.slots[0].session);
    expect([s.slots[0].inbox, s.slots[0].c.phase]).toEqual([[], 'watch']);
    const t = run(['c0 create /master ephemeral "c0"', 'partition c0 from the service', 'c0 reconnects', 'c0 exists /master watch']);
    expect(enabled(t)[0]).toBe(`c0 <- stat czxid=${s.tree.nodes['/master'].stat.czxid} owner=${s.slots[0].session} v0 (exists /master watch)`);
  });

  it('a silent session expires only after a tick, and its client learns of the expiry when it reconnects, on a new session', () => {
    const cut = run(['c0 create /master ephemeral "c0"', 'c0 <- created /master (create /master ephemeral "c0")', 'partition c0 from the service']);
    expect(enabled(cut).filter((l) => l.startsWith('expire'))).toEqual([]);
    const expired = run(['c0 create /master ephemeral "c0"', 'c0 <- created /master (create /master ephemeral "c0")', 'partition c0 from the service', 'tick', "expire c0's session 2"]);
    expect(expired.tree.nodes['/master']).toBeUndefined();
    expect([expired.slots[0].c.phase, expired.slots[0].session]).toEqual(['master', 2]);
    const told = run(['c0 create /master ephemeral "c0"', 'c0 <- created /master (create /master ephemeral "c0")', 'partition c0 from the service', 'tick', "expire c0's session 2", 'c0 reconnects']);
    expect([told.slots[0].c.phase, told.slots[0].session, told.slots[0].connects]).toEqual(['start', 4, 2]);
  });
});
