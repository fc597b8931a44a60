// One ZooKeeper server running Zab (Junqueira, Reed & Serafini, DSN 2011; Medeiros 2012; the
// ZAB 1.0 implementation: QuorumPeer, FastLeaderElection, Leader, LearnerHandler, Learner,
// Follower, Observer) as an actor-system handler over FIFO channels (TCP).
//
// Phases: election (decided by index.ts's oracle: this handler only takes the outcome, `lead`
// or `follow L`), discovery (FOLLOWERINFO → the leader picks an
// epoch above every acceptedEpoch of a quorum → LEADERINFO → ACKEPOCH with currentEpoch and
// last zxid), synchronisation (DIFF, TRUNC or SNAP chosen from the learner's last zxid, sent
// with NEWLEADER; the learner logs, updates currentEpoch and ACKs NEWLEADER as three separate
// steps, in an order that the ZooKeeper bugs change; UPTODATE once a quorum ACKed), broadcast
// (PROPOSAL logged before its ACK, COMMIT in zxid order once a quorum ACKed; observers get
// INFORM of committed transactions and never count).
//
// Durable (persisted by the step that changes it, before its sends): history (the transaction
// log), acceptedEpoch, currentEpoch. Three ghosts ride in the durable record so that they
// survive crashes; the protocol never reads them, the invariants do: `led` (epochs in which
// this server was an established leader), `proposed` (what it broadcast as leader), and
// `delivered` (what it delivered, in order, ever: a delivery is never undone, so a transaction
// later truncated shows up as a delivered one missing from the log).

import type { Effect, HandlerResult, NodeContext, NodeInput, NodeSpec } from '../../src/core/actors.ts';
import { compareZxid, nextInEpoch, ZERO_ZXID, type Zxid } from './zxid.ts';

export type NodeId = string;

/** A transaction: its zxid and the leader that proposed it (its value; two leaders that both
 * believed they led an epoch would propose different transactions with the same zxid). */
export interface Txn {
  readonly zxid: Zxid;
  readonly by: NodeId;
  /** The application's transaction (the ZooKeeper ensemble's data-tree update); Zab carries
   * it and never reads it. Absent in the bare Zab model. */
  readonly op?: unknown;
}

/** ZooKeeper's ServerState. */
export type ServerState = 'looking' | 'following' | 'leading' | 'observing';
export type Phase = 'election' | 'discovery' | 'synchronisation' | 'broadcast';
export type SyncMode = 'DIFF' | 'TRUNC' | 'SNAP';
/** What a learner does on NEWLEADER: log the synchronised transactions, set currentEpoch to
 * the new epoch, ACK NEWLEADER. Each is its own step (a crash may fall between two). */
export type SyncStep = 'log' | 'epoch' | 'ack';

export type Msg =
  | { readonly type: 'FOLLOWERINFO'; readonly acceptedEpoch: number; readonly observer: boolean }
  | { readonly type: 'LEADERINFO'; readonly epoch: number }
  /** `fresh` false: the learner had already accepted this epoch before (ZooKeeper then sends
   * currentEpoch -1); such an ACKEPOCH does not count towards the leader's quorum, or one
   * learner could help two leaders to the same epoch. */
  | { readonly type: 'ACKEPOCH'; readonly currentEpoch: number; readonly lastZxid: Zxid; readonly fresh: boolean }
  /** The synchronisation packets and NEWLEADER, sent back to back on one connection. TRUNC
   * cuts the learner's log after `truncTo`, then `txns` follow (DIFF: appended; SNAP: the
   * leader's whole history replaces the learner's). */
  | { readonly type: 'NEWLEADER'; readonly epoch: number; readonly mode: SyncMode; readonly truncTo: Zxid | null; readonly txns: readonly Txn[] }
  | { readonly type: 'ACKLD'; readonly epoch: number }
  /** Everything up to `commit` is committed; the learner starts serving. */
  | { readonly type: 'UPTODATE'; readonly commit: Zxid }
  | { readonly type: 'PROPOSAL'; readonly txn: Txn }
  | { readonly type: 'ACK'; readonly zxid: Zxid }
  | { readonly type: 'COMMIT'; readonly zxid: Zxid }
  | { readonly type: 'INFORM'; readonly txn: Txn };

export interface Durable {
  readonly history: readonly Txn[];
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  /** Ghost: epochs in which this server became an established leader, ascending. */
  readonly led: readonly number[];
  /** Ghost: transactions this server proposed as leader, in order. */
  readonly proposed: readonly Txn[];
  /** Ghost: transactions this server delivered, in order, over its whole life. */
  readonly delivered: readonly Txn[];
}

/** What a leader knows of one learner's connection. */
export interface Learner {
  readonly id: NodeId;
  readonly observer: boolean;
  /** info: FOLLOWERINFO received (LEADERINFO sent once the epoch is chosen); acked-epoch:
   * ACKEPOCH received; synced: NEWLEADER sent; acked-ld: its ACK received (before the leader
   * is established); forwarding: UPTODATE sent, it gets every proposal and commit. */
  readonly stage: 'info' | 'acked-epoch' | 'synced' | 'acked-ld' | 'forwarding';
  /** Its acceptedEpoch, while the leader has not chosen the new epoch. */
  readonly acceptedEpoch?: number;
  /** Its last zxid, between ACKEPOCH and synchronisation. */
  readonly lastZxid?: Zxid;
  /** Whether its ACKEPOCH counts towards the quorum (Leader's electingFollowers), until the
   * quorum is reached. */
  readonly electing?: boolean;
  /** How much of the leader's history its NEWLEADER carried, until it is forwarding. */
  readonly sent?: number;
}

/** A learner between NEWLEADER and UPTODATE. */
export interface Sync {
  readonly epoch: number;
  readonly mode: SyncMode;
  /** Transactions the leader sent. */
  readonly txns: number;
  /** The log the synchronisation leads to, until the `log` step writes it. */
  readonly pending: readonly Txn[] | null;
  readonly steps: readonly SyncStep[];
}

export interface Server extends Durable {
  readonly state: ServerState;
  readonly phase: Phase;
  /** Following or observing: the leader; leading: itself; looking: null. */
  readonly leader: NodeId | null;
  readonly sync: Sync | null;
  /** Leading: the epoch chosen from a quorum's FOLLOWERINFO (null until then). */
  readonly epoch: number | null;
  readonly learners: readonly Learner[];
  readonly epochAcked: boolean;
  readonly established: boolean;
  /** Leading and established: how many transactions of its history are committed, and who
   * ACKed each one after that (itself included), in history order. */
  readonly commit: number;
  readonly acks: readonly (readonly NodeId[])[];
  /** With `ZabConfig.applied`: how much of the history the server's application (its data
   * tree) reflects: what it delivered in this incarnation. Volatile: 0 after a restart and
   * while looking (the application reloads when it is synchronised again). Absent in the
   * bare Zab model. */
  readonly applied?: number;
}

/** The planted bugs, as flags (index.ts maps variants onto them). */
export interface Bugs {
  /** The leader commits a proposal as soon as it logged it itself. */
  readonly commitBeforeQuorum: boolean;
  /** Observers ACK proposals and NEWLEADER like followers and the leader counts them. */
  readonly observersCounted: boolean;
  /** NEWLEADER carries no synchronisation: the leader assumes learners are up to date. */
  readonly skipSynchronisation: boolean;
  /** A learner whose last zxid the leader's log lacks gets a DIFF from it instead of a TRUNC
   * to the last zxid they share (ZOOKEEPER-1154). */
  readonly diffInsteadOfTrunc: boolean;
  /** The leader trusts the election: no "follower is ahead of the leader" check on ACKEPOCH. */
  readonly trustElection: boolean;
  /** An ACKEPOCH from a learner that had already accepted the epoch counts (ZooKeeper's
   * currentEpoch -1 ignored). */
  readonly staleAckEpochCounted: boolean;
}

export interface ZabConfig {
  readonly voters: readonly NodeId[];
  readonly observers: readonly NodeId[];
  /** No leader proposes an epoch above this (it stays in discovery). */
  readonly epochsMax: number;
  /** A DIFF carries at most this many transactions; a learner further behind gets a SNAP
   * (the leader's committed log is a window). */
  readonly diffMax: number;
  /** The order of a learner's steps on NEWLEADER (ZooKeeper 3.9: log, epoch, ack). */
  readonly steps: readonly SyncStep[];
  readonly bugs: Bugs;
  /** Track `Server.applied` for an application on top (the ZooKeeper ensemble). */
  readonly applied?: boolean;
}

type Result = HandlerResult<Server, Msg, Durable, never>;
type Fx = Effect<Msg, Durable, never>;

const lastZxid = (history: readonly Txn[]) => (history.length === 0 ? ZERO_ZXID : history[history.length - 1].zxid);
const sameZxid = (a: Zxid, b: Zxid) => compareZxid(a, b) === 0;
export const sameTxn = (a: Txn, b: Txn) => sameZxid(a.zxid, b.zxid) && a.by === b.by;
const send = (to: NodeId, msg: Msg): Fx => ({ kind: 'send', to, msg });

/** The timer each state arms: a learner gives up on its leader, a leader gives up when it no
 * longer hears a quorum (a looking server waits for the election, index.ts's oracle). */
const TIMER: Partial<Record<ServerState, string>> = { following: 'leader', observing: 'leader', leading: 'quorum' };
export const ZAB_TIMERS = ['leader', 'quorum'] as const;

/** A server's handler, plus the leader's proposal of an application transaction (the
 * ZooKeeper ensemble's leader proposes what its clients ask for, not on its own). */
export type ZabServerSpec = NodeSpec<Server, Msg, Durable, never, never> & {
  propose(r: Server, op: unknown, ctx: NodeContext): HandlerResult<Server, Msg, Durable, never>;
};

export function zabServer(cfg: ZabConfig): ZabServerSpec {
  const { bugs } = cfg;
  const isVoter = (id: NodeId) => cfg.voters.includes(id);
  const counts = (id: NodeId) => isVoter(id) || (bugs.observersCounted && cfg.observers.includes(id));
  const quorum = Math.floor(cfg.voters.length / 2) + 1;
  const isQuorum = (ids: readonly NodeId[]) => ids.filter(counts).length >= quorum;
  const idle = { sync: null, epoch: null, learners: [], epochAcked: false, established: false, commit: 0, acks: [] } as const;

  /** The new state, with the durable part persisted when it changed and the state's timer armed. */
  const done = (before: Server | undefined, after: Server, effects: readonly Fx[] = []): Result => {
    const s = after;
    const changed =
      before === undefined || s.history !== before.history || s.acceptedEpoch !== before.acceptedEpoch || s.currentEpoch !== before.currentEpoch || s.led !== before.led || s.proposed !== before.proposed || s.delivered !== before.delivered;
    const persist: Fx[] = changed ? [{ kind: 'persist', data: durableOf(s) }] : [];
    const timer = TIMER[s.state];
    const cancel: Fx[] = before !== undefined && before.state === s.state ? [] : ZAB_TIMERS.filter((t) => t !== timer).map((t) => ({ kind: 'cancel-timer', timer: t }));
    const arm: Fx[] = timer === undefined ? [] : [{ kind: 'set-timer', timer }];
    return { state: s, effects: [...persist, ...effects, ...cancel, ...arm] };
  };

  /** Delivers the history up to position `upTo` (ghost `delivered` grows, never shrinks). */
  const deliverUpTo = (r0: Server, upTo: number): Server => {
    const r = cfg.applied === true && r0.applied! < upTo ? { ...r0, applied: upTo } : r0;
    return upTo <= r.delivered.length ? r : { ...r, delivered: [...r.delivered, ...r.history.slice(r.delivered.length, upTo)] };
  };

  /** Back to election, its connections closed. */
  const goLooking = (before: Server | undefined, d: Durable): Result => {
    const r: Server = { ...durableOf(d), ...idle, state: 'looking', phase: 'election', leader: null, ...(cfg.applied === true ? { applied: 0 } : {}) };
    const peers = before === undefined ? [] : before.state === 'leading' ? before.learners.map((l) => l.id) : before.leader !== null ? [before.leader] : [];
    return done(before, r, peers.map((peer) => ({ kind: 'disconnect', peer })));
  };

  /** The election's outcome (index.ts's oracle): lead, or follow (observe) L with FOLLOWERINFO. */
  const settle = (r: Server, L: NodeId, ctx: NodeContext): Result => {
    if (L === ctx.id) return progress(r, { ...r, ...idle, state: 'leading', phase: 'discovery', leader: ctx.id }, [], ctx);
    const state = isVoter(ctx.id) ? 'following' : 'observing';
    const next: Server = { ...r, ...idle, state, phase: 'discovery', leader: L };
    return done(r, next, [send(L, { type: 'FOLLOWERINFO', acceptedEpoch: r.acceptedEpoch, observer: !isVoter(ctx.id) })]);
  };

  // ---- Leader: discovery, synchronisation, broadcast -----------------------------------

  const withLearner = (r: Server, l: Learner): Server => {
    const learners = [...r.learners.filter((x) => x.id !== l.id), l].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { ...r, learners };
  };

  /** DIFF, TRUNC or SNAP for a learner whose last zxid is `z` (LearnerHandler.syncFollower). */
  const syncFor = (history: readonly Txn[], z: Zxid): { mode: SyncMode; truncTo: Zxid | null; txns: readonly Txn[] } => {
    if (bugs.skipSynchronisation) return { mode: 'DIFF', truncTo: null, txns: [] };
    const snap = { mode: 'SNAP' as const, truncTo: null, txns: history };
    const at = history.findIndex((t) => sameZxid(t.zxid, z));
    if (sameZxid(z, ZERO_ZXID) || at >= 0) {
      const missing = history.slice(at + 1);
      return missing.length > cfg.diffMax ? snap : { mode: 'DIFF', truncTo: null, txns: missing };
    }
    // The learner has a transaction the leader lacks: cut its log back to the last zxid they
    // share (the leader's last one below z), then send what follows.
    if (compareZxid(z, lastZxid(history)) > 0) return { mode: 'TRUNC', truncTo: lastZxid(history), txns: [] };
    const below = history.filter((t) => compareZxid(t.zxid, z) < 0).length;
    const txns = history.slice(below);
    if (bugs.diffInsteadOfTrunc) return { mode: 'DIFF', truncTo: null, txns };
    return txns.length > cfg.diffMax ? snap : { mode: 'TRUNC', truncTo: below === 0 ? ZERO_ZXID : history[below - 1].zxid, txns };
  };

  const syncLearner = (r: Server, l: Learner): { r: Server; fx: Fx } => {
    const payload = syncFor(r.history, l.lastZxid!);
    const next = withLearner(r, { id: l.id, observer: l.observer, stage: 'synced', sent: r.history.length });
    return { r: next, fx: send(l.id, { type: 'NEWLEADER', epoch: r.epoch!, ...payload }) };
  };

  /** Moves a leader through the quorum thresholds of discovery and synchronisation. */
  const progress = (before: Server, r0: Server, fx0: readonly Fx[], ctx: NodeContext): Result => {
    let r = r0;
    const fx = [...fx0];
    const at = (...stages: Learner['stage'][]) => r.learners.filter((l) => stages.includes(l.stage));
    if (r.epoch === null) {
      const infos = at('info');
      if (!isQuorum([ctx.id, ...infos.map((l) => l.id)])) return done(before, r, fx);
      const epoch = Math.max(r.acceptedEpoch, ...infos.map((l) => l.acceptedEpoch!)) + 1;
      if (epoch > cfg.epochsMax) return done(before, r, fx); // bound: no epoch above epochsMax
      r = { ...r, epoch, acceptedEpoch: epoch, learners: r.learners.map(({ acceptedEpoch: _, ...l }) => l) };
      for (const l of infos) fx.push(send(l.id, { type: 'LEADERINFO', epoch }));
    }
    if (!r.epochAcked) {
      if (!isQuorum([ctx.id, ...at('acked-epoch').filter((l) => l.electing).map((l) => l.id)])) return done(before, r, fx);
      r = { ...r, epochAcked: true, currentEpoch: r.epoch! };
      for (const l of at('acked-epoch')) {
        const s = syncLearner(r, l);
        r = s.r;
        fx.push(s.fx);
      }
    }
    if (!r.established) {
      if (!isQuorum([ctx.id, ...at('acked-ld').map((l) => l.id)])) return done(before, r, fx);
      r = deliverUpTo({ ...r, established: true, led: [...r.led, r.epoch!], commit: r.history.length, acks: [] }, r.history.length);
      for (const l of at('acked-ld')) {
        r = withLearner(r, { id: l.id, observer: l.observer, stage: 'forwarding' });
        fx.push(send(l.id, { type: 'UPTODATE', commit: lastZxid(r.history) }));
      }
    }
    return done(before, r, fx);
  };

  const handleFollowerInfo = (r: Server, from: NodeId, m: Extract<Msg, { type: 'FOLLOWERINFO' }>, ctx: NodeContext): Result => {
    // A new connection from `from` replaces whatever the leader knew of it.
    if (r.epoch !== null) {
      const next = withLearner(r, { id: from, observer: m.observer, stage: 'info' });
      return done(r, next, [send(from, { type: 'LEADERINFO', epoch: r.epoch })]);
    }
    return progress(r, withLearner(r, { id: from, observer: m.observer, stage: 'info', acceptedEpoch: m.acceptedEpoch }), [], ctx);
  };

  const handleAckEpoch = (r: Server, l: Learner, m: Extract<Msg, { type: 'ACKEPOCH' }>, ctx: NodeContext): Result => {
    // Leader.waitForEpochAck: a learner more recent than the leader means the election went
    // wrong; the leader gives up.
    const own = lastZxid(r.history);
    if (m.fresh && !bugs.trustElection && (m.currentEpoch > r.currentEpoch || (m.currentEpoch === r.currentEpoch && compareZxid(m.lastZxid, own) > 0))) return goLooking(r, r);
    const acked = withLearner(r, { id: l.id, observer: l.observer, stage: 'acked-epoch', lastZxid: m.lastZxid, ...(r.epochAcked ? {} : { electing: m.fresh || bugs.staleAckEpochCounted }) });
    if (!r.epochAcked) return progress(r, acked, [], ctx);
    const s = syncLearner(acked, acked.learners.find((x) => x.id === l.id)!);
    return done(r, s.r, [s.fx]);
  };

  /** ACK of NEWLEADER: before establishment it counts towards the quorum; after, the learner
   * gets UPTODATE and what the leader logged since its NEWLEADER. */
  const handleAckLd = (r: Server, l: Learner, ctx: NodeContext): Result => {
    if (!r.established) return progress(r, withLearner(r, { id: l.id, observer: l.observer, stage: 'acked-ld' }), [], ctx);
    const next = withLearner(r, { id: l.id, observer: l.observer, stage: 'forwarding' });
    const fx: Fx[] = [send(l.id, { type: 'UPTODATE', commit: r.commit === 0 ? ZERO_ZXID : r.history[r.commit - 1].zxid })];
    r.history.forEach((txn, k) => {
      if (k < l.sent!) return;
      const committed = k < r.commit;
      if (!l.observer || bugs.observersCounted) {
        fx.push(send(l.id, { type: 'PROPOSAL', txn }));
        if (committed) fx.push(send(l.id, { type: 'COMMIT', zxid: txn.zxid }));
      } else if (committed) fx.push(send(l.id, { type: 'INFORM', txn }));
    });
    return done(r, next, fx);
  };

  const forwarding = (r: Server) => r.learners.filter((l) => l.stage === 'forwarding');
  const getsProposals = (l: Learner) => !l.observer || bugs.observersCounted;

  /** Commits, in zxid order, every proposal a quorum has ACKed. */
  const maybeCommit = (r0: Server): { r: Server; fx: Fx[] } => {
    let r = r0;
    const fx: Fx[] = [];
    while (r.commit < r.history.length && (bugs.commitBeforeQuorum || isQuorum(r.acks[0]))) {
      const txn = r.history[r.commit];
      r = deliverUpTo({ ...r, commit: r.commit + 1, acks: r.acks.slice(1) }, r.commit + 1);
      for (const l of forwarding(r)) fx.push(send(l.id, getsProposals(l) ? { type: 'COMMIT', zxid: txn.zxid } : { type: 'INFORM', txn }));
    }
    return { r, fx };
  };

  const propose = (r: Server, ctx: NodeContext, op?: unknown): Result => {
    const last = lastZxid(r.history);
    const zxid = last.epoch === r.epoch ? nextInEpoch(last) : { epoch: r.epoch!, counter: 1 };
    if (zxid === undefined) return goLooking(r, r); // counter exhausted: a new epoch is needed
    const txn: Txn = op === undefined ? { zxid, by: ctx.id } : { zxid, by: ctx.id, op };
    const logged: Server = { ...r, history: [...r.history, txn], proposed: [...r.proposed, txn], acks: [...r.acks, [ctx.id]] };
    const sends = forwarding(r).filter(getsProposals).map((l) => send(l.id, { type: 'PROPOSAL', txn }));
    const c = maybeCommit(logged);
    return done(r, c.r, [...sends, ...c.fx]);
  };

  const handleAck = (r: Server, from: NodeId, zxid: Zxid): Result => {
    const k = r.history.findIndex((t) => sameZxid(t.zxid, zxid)) - r.commit;
    if (k < 0 || r.acks[k].includes(from)) return done(r, r);
    const acks = r.acks.map((a, j) => (j === k ? [...a, from].sort() : a));
    const c = maybeCommit({ ...r, acks });
    return done(r, c.r, c.fx);
  };

  const leaderReceive = (r: Server, from: NodeId, m: Msg, ctx: NodeContext): Result => {
    if (m.type === 'FOLLOWERINFO') return handleFollowerInfo(r, from, m, ctx);
    const l = r.learners.find((x) => x.id === from);
    if (l === undefined) return done(r, r);
    if (m.type === 'ACKEPOCH' && l.stage === 'info' && r.epoch !== null) return handleAckEpoch(r, l, m, ctx);
    if (m.type === 'ACKLD' && l.stage === 'synced' && m.epoch === r.epoch) return handleAckLd(r, l, ctx);
    if (m.type === 'ACK' && l.stage === 'forwarding' && r.established && counts(from)) return handleAck(r, from, m.zxid);
    return done(r, r);
  };

  // ---- Learner: discovery, synchronisation, broadcast ----------------------------------

  const handleLeaderInfo = (r: Server, m: Extract<Msg, { type: 'LEADERINFO' }>, ctx: NodeContext): Result => {
    if (m.epoch < r.acceptedEpoch) return goLooking(r, r); // Learner: leader's epoch is behind
    const next: Server = { ...r, acceptedEpoch: m.epoch, phase: 'synchronisation' };
    const fresh = m.epoch > r.acceptedEpoch;
    return done(r, next, [send(r.leader!, { type: 'ACKEPOCH', currentEpoch: r.currentEpoch, lastZxid: lastZxid(r.history), fresh })]);
  };

  const handleNewLeader = (r: Server, m: Extract<Msg, { type: 'NEWLEADER' }>): Result => {
    // TRUNC is applied to the log at once (Learner.syncWithLeader); DIFF and SNAP wait for `log`.
    const history = m.mode === 'TRUNC' ? r.history.filter((t) => compareZxid(t.zxid, m.truncTo!) <= 0) : r.history;
    const pending = m.mode === 'SNAP' ? m.txns : [...history, ...m.txns];
    const sync: Sync = { epoch: m.epoch, mode: m.mode, txns: m.txns.length, pending, steps: cfg.steps };
    return done(r, { ...r, history: history.length === r.history.length ? r.history : history, sync });
  };

  const syncStep = (r: Server, step: SyncStep): { r: Server; fx: Fx[] } => {
    const sync = r.sync!;
    const rest = { ...sync, steps: sync.steps.slice(1) };
    switch (step) {
      case 'log':
        return { r: { ...r, history: sync.pending!, sync: { ...rest, pending: null } }, fx: [] };
      case 'epoch':
        return { r: { ...r, currentEpoch: sync.epoch, sync: rest }, fx: [] };
      case 'ack':
        return { r: { ...r, sync: rest }, fx: [send(r.leader!, { type: 'ACKLD', epoch: sync.epoch })] };
    }
  };

  /** Steps still pending when the leader's next packet arrives are done first (the learner's
   * log writer is FIFO: what NEWLEADER queued is written before what follows it). */
  const flush = (r0: Server): { r: Server; fx: Fx[] } => {
    let r = r0;
    const fx: Fx[] = [];
    while (r.sync !== null && r.sync.steps.length > 0) {
      const s = syncStep(r, r.sync.steps[0]);
      r = s.r;
      fx.push(...s.fx);
    }
    return { r, fx };
  };

  const learnerReceive = (r: Server, m: Msg, ctx: NodeContext): Result => {
    if (m.type === 'LEADERINFO') return r.phase === 'discovery' ? handleLeaderInfo(r, m, ctx) : done(r, r);
    if (m.type === 'NEWLEADER') return r.phase === 'synchronisation' && r.sync === null && m.epoch === r.acceptedEpoch ? handleNewLeader(r, m) : done(r, r);
    if (m.type === 'FOLLOWERINFO' || m.type === 'ACKEPOCH' || m.type === 'ACKLD' || m.type === 'ACK') return done(r, r);
    // UPTODATE, PROPOSAL, COMMIT, INFORM: only once synchronised.
    const inSync = r.phase === 'synchronisation' && r.sync !== null && !r.sync.steps.includes('ack');
    if (!(inSync || r.phase === 'broadcast')) return done(r, r);
    const f = flush(r);
    const s = f.r;
    const upTo = (z: Zxid) => s.history.filter((t) => compareZxid(t.zxid, z) <= 0).length;
    switch (m.type) {
      case 'UPTODATE': {
        if (!inSync) return done(r, s, f.fx);
        // Learner.syncWithLeader: the proposals the synchronisation carried beyond the commit
        // point are ACKed once serving, so they count towards their quorum (voters only).
        const pending = s.history.slice(upTo(m.commit));
        const acks = counts(ctx.id) ? pending.map((t) => send(s.leader!, { type: 'ACK', zxid: t.zxid })) : [];
        return done(r, deliverUpTo({ ...s, phase: 'broadcast', sync: null }, upTo(m.commit)), [...f.fx, ...acks]);
      }
      case 'PROPOSAL': {
        if (s.phase !== 'broadcast') return done(r, s, f.fx);
        const next = { ...s, history: [...s.history, m.txn] };
        return done(r, next, [...f.fx, send(s.leader!, { type: 'ACK', zxid: m.txn.zxid })]);
      }
      case 'COMMIT': {
        const k = s.history.findIndex((t) => sameZxid(t.zxid, m.zxid));
        return done(r, s.phase === 'broadcast' && k >= 0 ? deliverUpTo(s, k + 1) : s, f.fx);
      }
      case 'INFORM': {
        if (s.phase !== 'broadcast') return done(r, s, f.fx);
        const has = s.history.some((t) => sameZxid(t.zxid, m.txn.zxid));
        const logged = has ? s : { ...s, history: [...s.history, m.txn] };
        // Delivered up to and including the informed transaction, counted in the log that now
        // holds it (an observer gets no PROPOSAL: the INFORM is its first sight of it).
        return done(r, deliverUpTo(logged, logged.history.filter((t) => compareZxid(t.zxid, m.txn.zxid) <= 0).length), f.fx);
      }
    }
  };

  const receive = (r: Server, from: NodeId, m: Msg, ctx: NodeContext): Result => {
    if (r.state === 'leading') return leaderReceive(r, from, m, ctx);
    if ((r.state === 'following' || r.state === 'observing') && from === r.leader) return learnerReceive(r, m, ctx);
    return done(r, r);
  };

  const internal = (r: Server, choice: string, ctx: NodeContext): Result => {
    if (choice === 'propose') return propose(r, ctx);
    if (choice === 'lead') return settle(r, ctx.id, ctx);
    if (choice.startsWith('follow ')) return settle(r, choice.slice('follow '.length), ctx);
    const s = syncStep(r, choice as SyncStep);
    return done(r, s.r, s.fx);
  };

  return {
    propose: (r, op, ctx) => {
      if (!(r.state === 'leading' && r.established)) throw new Error(`${ctx.id} proposes without being an established leader`);
      return propose(r, ctx, op);
    },
    init: () => goLooking(undefined, { history: [], acceptedEpoch: 0, currentEpoch: 0, led: [], proposed: [], delivered: [] }),
    restart: (d) => goLooking(undefined, d!),
    internal: (r) => {
      if (r.state === 'looking') return [];
      if (r.state === 'leading') return r.established ? ['propose'] : [];
      return r.sync !== null && r.sync.steps.length > 0 ? [r.sync.steps[0]] : [];
    },
    handle: (r, input: NodeInput<Msg, never>, ctx) => {
      switch (input.kind) {
        case 'receive':
          return receive(r, input.from, input.msg, ctx);
        case 'timeout':
          // A learner that no longer hears its leader, a leader that no longer hears a quorum.
          return goLooking(r, r);
        case 'internal':
          return internal(r, input.choice, ctx);
        case 'request':
          throw new Error('Zab servers take no client requests in this model (the leader proposes on its own)');
      }
    },
  };
}

export function durableOf(s: Durable): Durable {
  return { history: s.history, acceptedEpoch: s.acceptedEpoch, currentEpoch: s.currentEpoch, led: s.led, proposed: s.proposed, delivered: s.delivered };
}

export { lastZxid };
