// A ZooKeeper server of the ensemble: the Zab server (models/zab) replicating the data tree
// (models/zookeeper's reducer), with the client-facing request pipeline around it.
//
// - Connections (ZooKeeperServer.processConnectRequest): only a serving server (an established
//   leader, a learner in broadcast) accepts a client, and only if its last processed zxid is
//   not behind the client's last-seen zxid; otherwise it closes the connection. A server that
//   stops serving (back to election) closes every client connection.
// - Writes and syncs go to the leader: a follower forwards them over its learner connection
//   (Learner.request), in the order its client sent them. The leader resolves a write into a
//   transaction against its latest view (its whole log: PrepRequestProcessor's outstanding
//   changes) and proposes it; the server the client is connected to answers once it has
//   applied the committed transaction (FinalRequestProcessor).
// - Reads are answered at once from the server's own tree, with its last processed zxid.
// - sync: the leader answers once every proposal it had outstanding is committed
//   (Leader.processSync), behind the COMMITs on the FIFO learner channel; the follower then
//   answers its client. It is not a quorum operation: a deposed leader that has not noticed
//   answers at once.
//
// The tree is not stored: a server's tree is the setup tree with the first `applied`
// transactions of its log applied by the reducer, which is what ZooKeeper's DataTree holds
// (applying committed transactions in zxid order is deterministic, and the leader's resolution
// makes each transaction idempotent). treeAt memoises the fold per log.

import type { Effect, HandlerResult, NodeContext, NodeInput, NodeSpec } from '../../../src/core/actors.ts';
import { zabServer, type Durable, type Server, type Txn, type ZabServerSpec } from '../../zab/index.ts';
import type { Msg as ZabMsg, Bugs as ZabBugs, SyncStep } from '../../zab/index.ts';
import { apply, initialState, OPEN_ACL_UNSAFE, type ZkRequest, type ZkState } from '../index.ts';
import { zxidNumber, type AppTxn, type ClientMsg, type EnsembleMsg, type NodeId, type PeerMsg, type ZkOp, type ZkResult } from './types.ts';
import type { ZkClient } from './client.ts';

/** A server's part beyond Zab: the clients connected to it, the syncs a leader holds until its
 * outstanding proposals commit, and (variant forward-out-of-order) forwarded requests queued. */
export interface ZkServer {
  readonly kind: 'server';
  readonly zab: Server;
  readonly clients: readonly NodeId[];
  readonly syncs: readonly PendingSync[];
  readonly queue: readonly Forward[];
}

export interface PendingSync {
  readonly origin: NodeId;
  readonly client: NodeId;
  readonly cxid: number;
}

interface Forward {
  readonly client: NodeId;
  readonly cxid: number;
  readonly op: ZkOp;
}

export type ZkNode = ZkServer | ZkClient;

export const SESSION_EXPIRED = 'session expired';

/** The ensemble's planted bugs and the quorum-sync alternative. */
export interface EnsembleBugs {
  /** A follower may forward a client's queued requests to the leader in any order. */
  readonly forwardOutOfOrder: boolean;
  /** Reads are answered from the server's whole log, proposals not yet committed included. */
  readonly readUncommitted: boolean;
  /** A server accepts a client whose last-seen zxid is ahead of its own. */
  readonly acceptClientAhead: boolean;
  /** The leader answers a client connected to it as soon as it logged the proposal. */
  readonly ackBeforeQuorum: boolean;
  /** Not a bug: sync is a quorum round (a no-op transaction), as ZOOKEEPER-1675's fix asks. */
  readonly quorumSync: boolean;
}

export interface EnsembleConfig {
  readonly voters: readonly NodeId[];
  readonly observers: readonly NodeId[];
  readonly clients: readonly NodeId[];
  readonly epochsMax: number;
  readonly diffMax: number;
  readonly steps: readonly SyncStep[];
  readonly zabBugs: ZabBugs;
  readonly bugs: EnsembleBugs;
  /** Whether a leader may give up on its quorum (its `quorum` timer); without, only learners
   * time out (a bound that keeps the deposed-leader scenarios small). */
  readonly leaderTimeouts: boolean;
}

type Fx = Effect<EnsembleMsg, Durable, never>;
type Result = HandlerResult<ZkNode, EnsembleMsg, Durable, never>;
type ZabResult = HandlerResult<Server, ZabMsg, Durable, never>;

/** The tree every server starts from: a session per client (ids 1, 2, ... in client order) and
 * /x = "v0", made by setup transactions 1..k of epoch 0 that every log implicitly starts with. */
export function setupTree(clients: readonly NodeId[]): ZkState {
  let tree = initialState();
  let zxid = 0;
  const step = (request: ZkRequest) => {
    zxid += 1;
    tree = apply(tree, request, { zxid, time: 0 }).state;
  };
  for (const _ of clients) step({ kind: 'createSession', timeoutMs: 4000, clientIp: '127.0.0.1' });
  step({ kind: 'create', session: 1, path: '/x', data: 'v0', acl: OPEN_ACL_UNSAFE, mode: 'persistent' });
  return tree;
}

export const appTxn = (t: Txn): AppTxn => {
  if (t.op === undefined) throw new Error(`transaction ${t.zxid.epoch}:${t.zxid.counter} carries no ZooKeeper request`);
  return t.op as AppTxn;
};

/** Folds logs into trees, memoised per log array (logs are immutable and shared). */
export class Trees {
  private readonly memo = new WeakMap<readonly Txn[], ZkState[]>();
  constructor(private readonly setup: ZkState) {}

  /** The tree after the first `k` transactions of `log`. */
  at(log: readonly Txn[], k: number): ZkState {
    let trees = this.memo.get(log);
    if (trees === undefined) {
      trees = [this.setup];
      this.memo.set(log, trees);
    }
    while (trees.length <= k) {
      const txn = log[trees.length - 1];
      trees.push(applyTxn(trees[trees.length - 1], txn));
    }
    return trees[k];
  }
}

function applyTxn(tree: ZkState, txn: Txn): ZkState {
  const { request } = appTxn(txn);
  const zxid = zxidNumber(txn.zxid);
  if (request.kind === 'quorum-sync') return { ...tree, lastZxid: zxid };
  const result = apply(tree, request, { zxid, time: 0 });
  if (!result.zxidUsed) throw new Error(`transaction ${zxid} (${request.kind}) was not applied as a transaction`);
  return result.state;
}

export const serving = (z: Server): boolean =>
  (z.state === 'leading' && z.established) || ((z.state === 'following' || z.state === 'observing') && z.phase === 'broadcast');

const sessionOf = (clients: readonly NodeId[], client: NodeId) => clients.indexOf(client) + 1;
const isLive = (tree: ZkState, session: number) => tree.sessions.some((x) => x.id === session);

/** A transaction that expires a client's session carries cxid -1 (no request of the client). */
export const isExpiry = (t: AppTxn): boolean => t.request.kind === 'expireSession';

export function zkServer(cfg: EnsembleConfig, trees: Trees): NodeSpec<ZkNode, EnsembleMsg, Durable, never, never> {
  const zab: ZabServerSpec = zabServer({ voters: cfg.voters, observers: cfg.observers, epochsMax: cfg.epochsMax, diffMax: cfg.diffMax, steps: cfg.steps, bugs: cfg.zabBugs, applied: true });
  const { bugs } = cfg;
  const send = (to: NodeId, msg: EnsembleMsg): Fx => ({ kind: 'send', to, msg });
  const reply = (client: NodeId, cxid: number, result: ZkResult): Fx => send(client, { type: 'REPLY', cxid, result });

  /** What the server's clients see: its tree (the committed prefix it applied). */
  const treeOf = (z: Server) => (bugs.readUncommitted ? latest(z) : trees.at(z.history, z.applied!));
  /** The leader's view when it resolves a request: its whole log, proposals outstanding
   * included (PrepRequestProcessor's outstanding changes). */
  const latest = (z: Server) => trees.at(z.history, z.history.length);
  const sessionLive = (z: Server, client: NodeId) => isLive(latest(z), sessionOf(cfg.clients, client));
  const versionOf = (tree: ZkState) => tree.nodes['/x'].stat.version;

  /** The answer to a client whose transaction this server just applied. */
  const answerFor = (z: Server, k: number): ZkResult => {
    const tree = trees.at(z.history, k + 1);
    return appTxn(z.history[k]).request.kind === 'quorum-sync'
      ? { zxid: zxidNumber(z.history[k].zxid), epoch: z.currentEpoch }
      : { zxid: zxidNumber(z.history[k].zxid), epoch: z.currentEpoch, version: versionOf(tree) };
  };

  /** Installs Zab's step and does what it implies for the clients: a server that stopped
   * serving closes its client connections; committed transactions this server applied are
   * answered to their clients; a leader with nothing outstanding answers its held syncs. */
  const lift = (before: ZkServer, res: ZabResult, extra: readonly Fx[], ctx: NodeContext): Result => {
    const z = res.state;
    const fx: Fx[] = [...timed(res.effects ?? []), ...extra];
    let s: ZkServer = z === before.zab ? before : { ...before, zab: z };
    if (serving(before.zab) && !serving(z)) {
      for (const c of before.clients) fx.push({ kind: 'disconnect', peer: c }, send(c, { type: 'CLOSE', why: 'the server left broadcast' }));
      s = { ...s, clients: [], syncs: [], queue: [] };
    } else if (serving(z) && z.applied! > before.zab.applied!) {
      for (let k = before.zab.applied!; k < z.applied!; k++) {
        const t = appTxn(z.history[k]);
        if (!s.clients.includes(t.client)) continue;
        if (isExpiry(t)) {
          // The session is gone: its connection is closed wherever the client is connected.
          fx.push({ kind: 'disconnect', peer: t.client }, send(t.client, { type: 'CLOSE', why: SESSION_EXPIRED }));
          s = { ...s, clients: s.clients.filter((c) => c !== t.client) };
        } else if (t.origin === ctx.id) fx.push(reply(t.client, t.cxid, answerFor(z, k)));
      }
    }
    if (s.syncs.length > 0 && z.state === 'leading' && z.established && z.commit === z.history.length) {
      for (const p of s.syncs) fx.push(p.origin === ctx.id ? syncAnswer(s, p.client, p.cxid) : send(p.origin, { type: 'SYNC', client: p.client, cxid: p.cxid }));
      s = { ...s, syncs: [] };
    }
    return { state: s, effects: fx };
  };

  /** Zab's effects, without arming the leader's quorum timer when leaders never give up. */
  const timed = (effects: readonly Fx[]): readonly Fx[] =>
    cfg.leaderTimeouts ? effects : effects.filter((e) => !(e.kind === 'set-timer' && e.timer === 'quorum'));

  const syncAnswer = (s: ZkServer, client: NodeId, cxid: number): Fx => reply(client, cxid, { zxid: treeOf(s.zab).lastZxid, epoch: s.zab.currentEpoch });

  // ---- The leader: requests become proposals ------------------------------------------

  const leaderRequest = (s: ZkServer, origin: NodeId, client: NodeId, cxid: number, op: ZkOp, ctx: NodeContext): Result => {
    if (op.kind === 'sync' && !bugs.quorumSync) {
      // Held until every outstanding proposal is committed (lift answers it then, or now).
      const held: ZkServer = { ...s, syncs: [...s.syncs, { origin, client, cxid }] };
      return lift(held, { state: s.zab }, [], ctx);
    }
    // PrepRequestProcessor checks the session first: a request of an expired session is not
    // proposed (its client learns of the expiry from its server).
    if (!sessionLive(s.zab, client)) return { state: s };
    const request: AppTxn['request'] =
      op.kind === 'set' ? { kind: 'setData', session: sessionOf(cfg.clients, client), path: '/x', data: op.value, version: -1 } : { kind: 'quorum-sync' };
    const res = zab.propose(s.zab, { client, cxid, origin, request } satisfies AppTxn, ctx);
    const extra: Fx[] = [];
    if (bugs.ackBeforeQuorum && origin === ctx.id && res.state.history.length > s.zab.history.length) {
      extra.push(reply(client, cxid, answerFor(res.state, res.state.history.length - 1)));
    }
    return lift(s, res, extra, ctx);
  };

  // ---- Client connections ------------------------------------------------------------

  const clientMsg = (s: ZkServer, client: NodeId, m: ClientMsg, ctx: NodeContext): Result => {
    const z = s.zab;
    const unchanged: Result = { state: s };
    switch (m.type) {
      case 'CONNECT': {
        const own = treeOf(z).lastZxid;
        const refuse = (why: string): Result => ({ state: s, effects: [send(client, { type: 'CLOSE', why })] });
        if (!serving(z)) return refuse('not serving');
        if (own < m.lastZxid && !bugs.acceptClientAhead) return refuse('the client has seen a later zxid');
        if (!isLive(treeOf(z), sessionOf(cfg.clients, client))) return refuse(SESSION_EXPIRED);
        const clients = s.clients.includes(client) ? s.clients : [...s.clients, client].sort();
        return { state: { ...s, clients }, effects: [send(client, { type: 'CONNECTED' })] };
      }
      case 'REQUEST': {
        if (!serving(z) || !s.clients.includes(client)) return unchanged;
        if (m.op.kind === 'get') {
          const tree = treeOf(z);
          const node = tree.nodes['/x'];
          return { state: s, effects: [reply(client, m.cxid, { zxid: tree.lastZxid, epoch: z.currentEpoch, value: node.data, version: node.stat.version })] };
        }
        if (z.state === 'leading') return leaderRequest(s, ctx.id, client, m.cxid, m.op, ctx);
        const fwd: Forward = { client, cxid: m.cxid, op: m.op };
        if (bugs.forwardOutOfOrder) return { state: { ...s, queue: [...s.queue, fwd] } };
        return { state: s, effects: [send(z.leader!, { type: 'FORWARD', ...fwd })] };
      }
      case 'CONNECTED':
      case 'CLOSE':
      case 'REPLY':
        return unchanged;
    }
  };

  const peerMsg = (s: ZkServer, from: NodeId, m: PeerMsg, ctx: NodeContext): Result => {
    const z = s.zab;
    if (m.type === 'FORWARD') {
      // Only an established leader takes requests, and only from a learner it forwards to.
      const learner = z.learners.find((l) => l.id === from);
      if (!(z.state === 'leading' && z.established && learner?.stage === 'forwarding')) return { state: s };
      return leaderRequest(s, from, m.client, m.cxid, m.op, ctx);
    }
    // SYNC: the leader's answer to a forwarded sync, after its COMMITs (FIFO).
    if (!(serving(z) && from === z.leader && s.clients.includes(m.client))) return { state: s };
    return { state: s, effects: [syncAnswer(s, m.client, m.cxid)] };
  };

  const isClient = (id: NodeId) => cfg.clients.includes(id);
  const isPeerMsg = (m: EnsembleMsg): m is PeerMsg => m.type === 'FORWARD' || m.type === 'SYNC';
  const wrap = (r: ZabResult): Result => ({ state: { kind: 'server', zab: r.state, clients: [], syncs: [], queue: [] }, effects: timed(r.effects ?? []) });
  const asServer = (n: ZkNode): ZkServer => {
    if (n.kind !== 'server') throw new Error('a client state reached a server handler');
    return n;
  };

  return {
    init: (ctx) => wrap(zab.init(ctx)),
    restart: (d, ctx) => wrap(zab.restart!(d, ctx)),
    internal: (n, ctx) => {
      const s = asServer(n);
      // The leader proposes what clients ask for, never on its own.
      const own = zab.internal!(s.zab, ctx).filter((c) => c !== 'propose');
      // The leader's session tracker may expire a session (when is the environment's choice:
      // index.ts bounds how many).
      const z = s.zab;
      const expire =
        z.state === 'leading' && z.established
          ? cfg.clients.filter((c) => sessionLive(z, c)).map((c) => `expire ${c}`)
          : [];
      return [...own, ...expire, ...s.queue.map((_, k) => `forward ${k}`)];
    },
    handle: (n, input: NodeInput<EnsembleMsg, never>, ctx) => {
      const s = asServer(n);
      if (input.kind === 'receive') {
        if (isClient(input.from)) return clientMsg(s, input.from, input.msg as ClientMsg, ctx);
        if (isPeerMsg(input.msg)) return peerMsg(s, input.from, input.msg, ctx);
        return lift(s, zab.handle(s.zab, { kind: 'receive', from: input.from, msg: input.msg as ZabMsg }, ctx), [], ctx);
      }
      if (input.kind === 'internal' && input.choice.startsWith('expire ')) {
        const client = input.choice.slice('expire '.length);
        const request: AppTxn['request'] = { kind: 'expireSession', session: sessionOf(cfg.clients, client) };
        return lift(s, zab.propose(s.zab, { client, cxid: -1, origin: ctx.id, request } satisfies AppTxn, ctx), [], ctx);
      }
      if (input.kind === 'internal' && input.choice.startsWith('forward ')) {
        const k = Number(input.choice.slice('forward '.length));
        const fwd = s.queue[k];
        const queue = s.queue.filter((_, j) => j !== k);
        if (!serving(s.zab) || s.zab.state === 'leading') return { state: { ...s, queue } };
        return { state: { ...s, queue }, effects: [send(s.zab.leader!, { type: 'FORWARD', ...fwd })] };
      }
      if (input.kind === 'request') throw new Error('ZooKeeper clients are nodes of the ensemble (client.ts), not scripted clients');
      return lift(s, zab.handle(s.zab, input, ctx), [], ctx);
    },
  };
}

