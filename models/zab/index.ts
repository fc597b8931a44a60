// Zab, ZooKeeper's atomic broadcast, as an actor system over FIFO channels: servers n1..nk
// (voters) and observers o1..om. server.ts is one server's handler, invariants.ts the
// properties. See server.ts for the phases.
//
// Modelling choices and what the bounds leave unchecked:
// - Election is an oracle (see electionOracle below), as Zab.tla's leader oracle: a quorum of
//   looking voters settles on the best of them by (currentEpoch, last zxid, id), or a looking
//   server joins a running leader that a quorum follows. FLE's own message exchange and races
//   are not modelled (servers settling on different leaders end in timeouts here too, but a
//   leader whose quorum settled on someone else is never offered).
// - Writes: the established leader proposes on its own (an internal choice), at most txnsMax
//   transactions in a run over all leaders. Client requests and the data tree are the
//   ZooKeeper ensemble's (models/zookeeper).
// - Timeouts: a learner gives up on its leader, a leader gives up on its quorum. They are asynchronous (any time: a timeout proves nothing) and
//   together at most timeoutsMax in a run (an environment bound, like crashesMax).
// - A crash loses the server's connections (its channels both ways empty, actors.ts); giving
//   up on a peer closes the connection (the `disconnect` effect), so a connection's late
//   packets never arrive on the next one. No message loss inside a connection: TCP either
//   delivers in order or breaks; a partition holds what crosses it until it heals (or until a
//   server gives up and closes the connection).
// - The leader's committed-log window is diffMax transactions: a learner further behind gets
//   a SNAP. The synchronisation packets and NEWLEADER are one message (they are sent back to
//   back); the learner then logs, updates currentEpoch and ACKs NEWLEADER as three steps.
// - A learner's forwarding starts when the leader gets its ACK of NEWLEADER (ZooKeeper starts
//   it during synchronisation, under a lock); what the leader logged in between follows
//   UPTODATE.

import type { ModelDefinition, Params, VariantSpec } from '../../src/core/model.ts';
import { InputError } from '../../src/core/model.ts';
import { actorSystem, type ActorModel, type OracleStep, type SystemAction } from '../../src/core/actors.ts';
import { lastZxid, zabServer, ZAB_TIMERS, type Bugs, type Durable, type Msg, type Server, type SyncStep } from './server.ts';
import { compareZxid } from './zxid.ts';
import { txnText, views, zabInvariants, zabWitnesses, zxidText, type View, type ZabState } from './invariants.ts';

export type { ZabState } from './invariants.ts';
export type { Server, Durable, Msg, Txn, Bugs, SyncStep, ZabServerSpec } from './server.ts';
export { zabServer, lastZxid, durableOf, ZAB_TIMERS } from './server.ts';
export { compareZxid, type Zxid } from './zxid.ts';
export { txnText, zxidText, type View } from './invariants.ts';

export type ZabVariant =
  | 'default'
  | 'elect-without-latest-zxid'
  | 'commit-before-quorum'
  | 'observers-counted'
  | 'skip-synchronisation'
  | 'reordering-channels'
  | 'epoch-before-log'
  | 'ack-before-log'
  | 'diff-instead-of-trunc'
  | 'stale-ackepoch-counted';


export function describeZabMessage(m: Msg): string {
  switch (m.type) {
    case 'FOLLOWERINFO':
      return `${m.observer ? 'OBSERVERINFO' : 'FOLLOWERINFO'} acceptedEpoch=${m.acceptedEpoch}`;
    case 'LEADERINFO':
      return `LEADERINFO e=${m.epoch}`;
    case 'ACKEPOCH':
      return `ACKEPOCH currentEpoch=${m.fresh ? m.currentEpoch : -1} last=${zxidText(m.lastZxid)}`;
    case 'NEWLEADER':
      return `${m.mode}${m.truncTo !== null ? ` to ${zxidText(m.truncTo)}` : ''} [${m.txns.map(txnText).join(' ')}] NEWLEADER e=${m.epoch}`;
    case 'ACKLD':
      return `ACK NEWLEADER e=${m.epoch}`;
    case 'UPTODATE':
      return `UPTODATE commit=${zxidText(m.commit)}`;
    case 'PROPOSAL':
      return `PROPOSAL ${txnText(m.txn)}`;
    case 'ACK':
      return `ACK ${zxidText(m.zxid)}`;
    case 'COMMIT':
      return `COMMIT ${zxidText(m.zxid)}`;
    case 'INFORM':
      return `INFORM ${txnText(m.txn)}`;
  }
}

/** Every subset of `xs` with at least `k` elements, in a fixed order. */
function subsets<T>(xs: readonly T[], k: number): T[][] {
  const out: T[][] = [];
  for (let mask = 1; mask < 1 << xs.length; mask++) {
    const pick = xs.filter((_, i) => (mask & (1 << i)) !== 0);
    if (pick.length >= k) out.push(pick);
  }
  return out;
}

/** Leader election as an oracle (Zab.tla's leader oracle; what Fast Leader Election decides):
 * - `elect L by Q`: a quorum Q of running looking voters settles on the best of them by
 *   (currentEpoch, last zxid, server id) (FastLeaderElection.totalOrderPredicate): L leads,
 *   the others of Q follow it. With `byIdOnly` (planted bug) the best is the highest id.
 * - `s joins L`: a looking server (voter or observer) follows a running leader that a quorum
 *   follows (FLE's out-of-election votes: the leader says LEADING, a quorum says it follows it).
 * FLE's races (servers settling on different leaders, a leader no quorum follows) are not
 * offered; they end in timeouts, which the model has. */
export function electionOracle<S>(voters: readonly string[], byIdOnly: boolean, viewsOf: (s: S) => View[]) {
  const quorum = Math.floor(voters.length / 2) + 1;
  const rank = (id: string) => voters.indexOf(id);
  const better = (a: { id: string; d: Durable }, b: { id: string; d: Durable }): boolean => {
    if (byIdOnly) return rank(a.id) > rank(b.id);
    if (a.d.currentEpoch !== b.d.currentEpoch) return a.d.currentEpoch > b.d.currentEpoch;
    const z = compareZxid(lastZxid(a.d.history), lastZxid(b.d.history));
    return z !== 0 ? z > 0 : rank(a.id) > rank(b.id);
  };
  return (s: S): OracleStep[] => {
    const all = viewsOf(s);
    const looking = all.filter((x) => x.s?.state === 'looking');
    const out: OracleStep[] = [];
    for (const q of subsets(looking.filter((x) => voters.includes(x.id)), quorum)) {
      const L = q.reduce((best, x) => (better(x, best) ? x : best));
      const inputs = [{ node: L.id, choice: 'lead' }, ...q.filter((x) => x !== L).map((x) => ({ node: x.id, choice: `follow ${L.id}` }))];
      out.push({ node: L.id, name: `elect ${L.id} by ${q.map((x) => x.id).join(',')}`, inputs });
    }
    for (const L of all) {
      if (L.s?.state !== 'leading') continue;
      const followers = all.filter((x) => x.s?.state === 'following' && x.s.leader === L.id).map((x) => x.id);
      for (const x of looking) {
        const support = [L.id, ...followers, ...(voters.includes(x.id) ? [x.id] : [])];
        if (support.length >= quorum) out.push({ node: x.id, name: `${x.id} joins ${L.id}`, inputs: [{ node: x.id, choice: `follow ${L.id}` }] });
      }
    }
    return out;
  };
}

/** The order of a learner's steps on NEWLEADER: ZooKeeper 3.9's fixed order, or the orders of
 * the two bugs model checking found (ZOOKEEPER-4643, ZOOKEEPER-3911/4646). */
function syncSteps(variant: ZabVariant): readonly SyncStep[] {
  if (variant === 'epoch-before-log') return ['epoch', 'log', 'ack'];
  if (variant === 'ack-before-log') return ['epoch', 'ack', 'log'];
  return ['log', 'epoch', 'ack'];
}

export function zab(params: Params, variant: ZabVariant = 'default'): ActorModel<Server, Msg, Durable, never, never> {
  const bugs: Bugs = {
    commitBeforeQuorum: variant === 'commit-before-quorum',
    observersCounted: variant === 'observers-counted',
    skipSynchronisation: variant === 'skip-synchronisation',
    diffInsteadOfTrunc: variant === 'diff-instead-of-trunc',
    trustElection: variant === 'elect-without-latest-zxid',
    staleAckEpochCounted: variant === 'stale-ackepoch-counted',
  };
  const voters = Array.from({ length: params.servers }, (_, k) => `n${k + 1}`);
  const observers = Array.from({ length: params.observers }, (_, k) => `o${k + 1}`);
  const ids = [...voters, ...observers];
  const spec = zabServer({ voters, observers, epochsMax: params.epochsMax, diffMax: params.diffMax, steps: syncSteps(variant), bugs });
  const crashable = params.crashable === 0 ? ids : ids.slice(0, params.crashable);
  const inner = actorSystem<Server, Msg, Durable, never, never>({
    nodes: ids.map((id) => ({ id, spec })),
    network: variant === 'reordering-channels' ? 'unordered' : 'fifo',
    timeouts: 'asynchronous',
    faults: { crashesMax: params.crashesMax, partitionsMax: params.partitionsMax, crashable },
    timerBudget: { timers: ZAB_TIMERS, timeoutsMax: params.timeoutsMax },
    oracle: electionOracle(voters, variant === 'elect-without-latest-zxid', (s: ZabState) => views(s, ids)),
    invariants: zabInvariants(ids),
    sometimes: zabWitnesses(ids, voters, observers, {
      txns: params.txnsMax > 0,
      epochChange: params.epochsMax >= 2 && params.crashesMax + params.timeoutsMax + params.partitionsMax > 0,
      // A proposal only its leader logged can outlive it only where a quorum can form without
      // that leader: three voters or more.
      minority: params.servers >= 3,
      snap: ids.length >= 2 && params.txnsMax > params.diffMax,
      diff: ids.length >= 2 && params.txnsMax > 0 && params.diffMax > 0,
      trunc: params.servers >= 3 && params.txnsMax > 0 && params.epochsMax >= 2 && params.timeoutsMax >= 1 && params.crashesMax + params.timeoutsMax >= 2,
    }),
    goal: (s) => settled(s, ids),
    // Any state may end a run: with epochs, timeouts and crashes bounded, a server may wait
    // forever for a leader that the bounds never let come. That is liveness (the goal).
    isFinal: () => true,
    fairness: { timers: ['leader', 'quorum'], recovery: true },
    describeMessage: describeZabMessage,
  });
  // txnsMax: transactions proposed in a run, over all leaders (an environment bound on client
  // writes; it restricts when a leader proposes, never what a handler does).
  const proposed = (s: ZabState) => views(s, ids).reduce((n, x) => n + x.d.proposed.length, 0);
  const allowed = (s: ZabState, a: SystemAction<Msg>) => a.kind !== 'internal' || a.choice !== 'propose' || proposed(s) < params.txnsMax;
  return { ...inner, actions: (s) => inner.actions(s).filter((a) => allowed(s, a)) };
}

/** The liveness goal: an established leader, every running server following (or observing)
 * it in broadcast, and every transaction of the leader's log delivered everywhere running. */
function settled(s: ZabState, ids: readonly string[]): boolean {
  const all = views(s, ids);
  const L = all.find((x) => x.s?.state === 'leading' && x.s.established);
  if (L === undefined) return false;
  return all.every((x) => x.s === undefined || x === L || (x.s.leader === L.id && x.s.phase === 'broadcast' && x.d.delivered.length >= L.d.history.length)) && L.s!.commit === L.d.history.length;
}

export const ZAB_DEFAULTS: Params = {
  servers: 3,
  observers: 0,
  epochsMax: 2,
  txnsMax: 2,
  diffMax: 1,
  crashesMax: 1,
  crashable: 0,
  timeoutsMax: 1,
  partitionsMax: 0,
};

/** The NEWLEADER bugs need a transaction committed in epoch 1 by a quorum without the third
 * server, that server synchronised in epoch 2 and crashing between its steps, and an epoch-3
 * election it wins by its new currentEpoch: two crashes, a timeout, three epochs. */
const NEWLEADER_CRASHES: Params = { crashesMax: 2, epochsMax: 3, txnsMax: 1 };

export const zabVariants: readonly VariantSpec[] = [
  { name: 'default', description: 'Zab 1.0: election by latest (currentEpoch, zxid), discovery, DIFF/TRUNC/SNAP synchronisation, broadcast over FIFO channels', expect: { status: 'holds' } },
  {
    name: 'elect-without-latest-zxid',
    // Election by id alone is caught in discovery: a learner of the new quorum has the committed
    // transaction, so its ACKEPOCH is ahead and the leader gives up (the faithful model holds
    // with election by id). Only a leader that also trusts the election loses the transaction.
    description: 'bug: election picks the highest server id, not the latest (currentEpoch, zxid), and the leader trusts it (no "follower is ahead" check): the new leader lacks a committed transaction',
    expect: { status: 'violation', property: 'CommittedStays', also: ['CommitCompleteness', 'PrefixConsistency', 'Agreement', 'PrimaryIntegrity', 'HistoryConsistency'] },
  },
  {
    name: 'commit-before-quorum',
    description: 'bug: the leader commits a proposal once it logged it itself, before a quorum ACKed it',
    expect: { status: 'violation', property: 'CommitCompleteness', also: ['CommittedStays', 'PrefixConsistency', 'Agreement', 'PrimaryIntegrity'] },
  },
  {
    name: 'observers-counted',
    description: 'bug: observers ACK proposals and NEWLEADER and the leader counts them towards the quorum',
    expect: { status: 'violation', property: 'Leadership', also: ['CommitCompleteness', 'CommittedStays', 'PrefixConsistency', 'Agreement', 'PrimaryIntegrity', 'HistoryConsistency'] },
    params: { observers: 1 },
  },
  {
    name: 'skip-synchronisation',
    description: 'bug: NEWLEADER carries no DIFF/TRUNC/SNAP: a learner keeps a log its new leader does not have',
    expect: { status: 'violation', property: 'HistoryConsistency', also: ['CommitCompleteness', 'CommittedStays', 'PrefixConsistency', 'Agreement', 'TotalOrder', 'PrimaryIntegrity'] },
  },
  {
    name: 'reordering-channels',
    description: 'bug: the channels reorder (no TCP): a follower logs and delivers PROPOSALs out of zxid order',
    expect: { status: 'violation', property: 'HistoryConsistency', also: ['PrefixConsistency', 'Agreement', 'TotalOrder', 'LocalPrimaryOrder', 'GlobalPrimaryOrder', 'CommittedStays', 'CommitCompleteness', 'PrimaryIntegrity'] },
  },
  {
    name: 'epoch-before-log',
    description: 'bug (ZOOKEEPER-4643): on NEWLEADER a follower updates currentEpoch before logging the synchronised transactions; a crash between makes it win an election without them',
    expect: { status: 'violation', property: 'CommittedStays', also: ['CommitCompleteness', 'PrefixConsistency', 'Agreement', 'PrimaryIntegrity', 'HistoryConsistency'] },
    params: NEWLEADER_CRASHES,
  },
  {
    name: 'ack-before-log',
    description: 'bug (ZOOKEEPER-3911, ZOOKEEPER-4646): a follower ACKs NEWLEADER before the synchronised transactions are logged; a crash loses what the quorum committed',
    expect: { status: 'violation', property: 'CommittedStays', also: ['CommitCompleteness', 'PrefixConsistency', 'Agreement', 'PrimaryIntegrity', 'HistoryConsistency'] },
    params: NEWLEADER_CRASHES,
  },
  {
    name: 'diff-instead-of-trunc',
    description: 'bug (ZOOKEEPER-1154): a learner with an uncommitted transaction of an earlier epoch gets a DIFF instead of a TRUNC and keeps a transaction no one else has',
    expect: { status: 'violation', property: 'HistoryConsistency', also: ['PrefixConsistency', 'Agreement', 'TotalOrder', 'CommitCompleteness'] },
  },
  {
    name: 'stale-ackepoch-counted',
    description: 'bug: a leader counts the ACKEPOCH of a learner that had already accepted that epoch from another leader (ZooKeeper sends currentEpoch -1 and does not count it): two leaders established in one epoch',
    expect: { status: 'violation', property: 'Leadership', also: ['PrefixConsistency', 'Agreement', 'Integrity', 'CommitCompleteness', 'HistoryConsistency'] },
    params: { timeoutsMax: 2, txnsMax: 0 },
  },
];

export const zabDefinition: ModelDefinition = {
  name: 'zab',
  summary: 'Zab (ZooKeeper atomic broadcast): election, discovery, synchronisation, broadcast, observers, over FIFO channels',
  source: 'Junqueira, Reed & Serafini, "Zab: High-performance broadcast for primary-backup systems" (DSN 2011); Medeiros (2012); ZooKeeper 3.8/3.9 Leader, LearnerHandler, Learner; zookeeper-specifications',
  params: [
    { name: 'servers', description: 'voting servers n1..nk; a quorum is floor(k/2)+1', default: ZAB_DEFAULTS.servers, min: 1, max: 5 },
    { name: 'observers', description: 'observers o1..om: learn commits, never vote or count', default: ZAB_DEFAULTS.observers, min: 0, max: 2 },
    { name: 'epochsMax', description: 'no leader proposes an epoch above this', default: ZAB_DEFAULTS.epochsMax, min: 1, max: 6 },
    { name: 'txnsMax', description: 'transactions proposed in a run, over all leaders', default: ZAB_DEFAULTS.txnsMax, min: 0, max: 6 },
    { name: 'diffMax', description: 'a DIFF carries at most this many transactions; a learner further behind gets a SNAP', default: ZAB_DEFAULTS.diffMax, min: 0, max: 6 },
    { name: 'crashesMax', description: 'server crashes (a crashed server restarts from its log, acceptedEpoch and currentEpoch)', default: ZAB_DEFAULTS.crashesMax, min: 0 },
    { name: 'crashable', description: 'servers n1..nk that may crash (0: all)', default: ZAB_DEFAULTS.crashable, min: 0, max: 7 },
    { name: 'timeoutsMax', description: 'timeouts in a run: a learner gives up on its leader, a leader on its quorum', default: ZAB_DEFAULTS.timeoutsMax, min: 0 },
    { name: 'partitionsMax', description: 'network partitions into two sides (each may heal)', default: ZAB_DEFAULTS.partitionsMax, min: 0 },
  ],
  variants: zabVariants,
  scenarios: [
    {
      kind: 'safety',
      name: 'newleader-crash-configuration',
      description: 'the faithful model at the NEWLEADER bugs\' params (two crashes, three epochs, one transaction): a follower that crashes between logging, updating currentEpoch and ACKing NEWLEADER loses nothing',
      params: NEWLEADER_CRASHES,
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'observer',
      description: 'one observer beside three voters, one transaction, one crash, no timeout: it is synchronised and learns commits by INFORM, never counts towards a quorum, and every invariant holds',
      params: { observers: 1, txnsMax: 1, timeoutsMax: 0 },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'five-servers',
      description: 'five voters (quorum 3), one transaction, no fault: every interleaving of election outcomes, discovery, synchronisation and broadcast holds',
      params: { servers: 5, txnsMax: 1, crashesMax: 0, timeoutsMax: 0 },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'partition',
      description: 'a partition (that may heal) instead of the crash, one timeout: messages across it are held, not lost (TCP), and a learner cut off gives up on its leader; every invariant holds',
      params: { crashesMax: 0, partitionsMax: 1 },
      expect: { status: 'holds' },
    },
    {
      kind: 'liveness',
      name: 'elects-and-delivers',
      description: 'no crash, no timeout: a leader is established, every server follows it and every proposal is delivered everywhere',
      params: { crashesMax: 0, timeoutsMax: 0 },
      expect: { status: 'holds' },
    },
    {
      kind: 'liveness',
      name: 'observer-delivers',
      description: 'an observer beside three voters, two transactions, no fault: the observer learns every commit by INFORM and delivers it (the goal needs every server to have delivered the leader\'s whole log)',
      params: { observers: 1, crashesMax: 0, timeoutsMax: 0 },
      expect: { status: 'holds' },
    },
    {
      kind: 'liveness',
      name: 'leader-crash-without-timeouts',
      description: 'the leader may crash but no learner may time out: its followers never notice and no new leader is established (stuck at the bound: learners find a dead leader only by their timeouts)',
      params: { crashesMax: 1, timeoutsMax: 0 },
      expect: { status: 'violation', property: 'stuck' },
    },
  ],
  create: (params, variant) => {
    const names = zabVariants.map((v) => v.name);
    if (!names.includes(variant)) throw new InputError(`zab has no variant '${variant}' (variants: ${names.join(', ')})`);
    return zab(params, variant as ZabVariant);
  },
};
