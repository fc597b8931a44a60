// ZooKeeper session semantics, model-checked over the data-tree reducer (models/zookeeper): two
// clients with sessions against one server. A client connects (a new session), creates an
// ephemeral /e and ephemeral-sequential children /q/s-NNNNNNNNNN, deletes, sets data, sets
// watches with exists and getChildren, runs a multi, pings, closes its session. Time is an
// abstract clock that ticks up to `timeMax`; the server last heard from a session when it last
// sent anything (a request or a ping), and expires it once `sessionTimeout` ticks have passed
// without (ZooKeeper's SessionTracker), after which the client reconnects with a new session
// and has lost its watches. The server's answers and watch events travel to a client
// over one ordered connection: events wait in the client's inbox and are received in order,
// and a read is answered only behind the events already sent (ZooKeeper's guarantee that a
// client sees a watch event before the data that reflects the change).
//
// /q is created at start with every permission but DELETE for anyone, so a child of /q can
// be deleted only by its session ending (ZooKeeper checks DELETE on the parent).
//
// Checked in every state: no ephemeral outlives its session; the tree is well formed; and,
// from ghost records of each step: a client never receives an event for a watch it did not
// set or that already fired (one-shot watches); sequence numbers under a parent always
// increase; a delete succeeds only with DELETE on the parent; a failed request changes no
// znode; no client reads data newer than a watch event still on its way to it.
//
// Bounds: `zxidMax` transactions after the setup (each write, failed or not, takes a zxid),
// `connectsMax` sessions per client. Planted bugs are the reducer's TreeBugs, plus a server
// that answers a read before the watch events it already sent.

import type { Invariant, ModelDefinition, Params, Witness } from '../../src/core/model.ts';
import {
  apply,
  findSession,
  initialState,
  multiFailure,
  OPEN_ACL_UNSAFE,
  Perms,
  removeOrphanEphemeral,
  orphanedEphemerals,
  stepProblems,
  structureProblems,
  type ApplyResult,
  type TreeBugs,
  type WatchEvent,
  type ZkRequest,
  type ZkState,
} from '../zookeeper/index.ts';
import { allowed } from '../zookeeper/acl.ts';

interface Watch {
  readonly kind: 'data' | 'child';
  readonly path: string;
}

export interface Client {
  /** The live session, or null before connecting and after a close or expiry. */
  readonly session: number | null;
  readonly connects: number;
  /** When the server last heard from the live session (a request or a ping). */
  readonly heard: number;
  /** Watches this client set that have not fired yet, as the client library tracks them. */
  readonly watches: readonly Watch[];
  /** Events sent to the client and not yet received, in order, with the zxid that fired them. */
  readonly inbox: readonly (WatchEvent & { readonly zxid: number })[];
}

export interface SessionState {
  readonly tree: ZkState;
  readonly clients: readonly Client[];
  /** Ghost: the highest sequence number created under /q so far (-1: none). */
  readonly lastSequence: number;
  /** Ghost: what the last step broke, as (property, message); empty in every good state. */
  readonly broken: readonly { readonly property: string; readonly message: string }[];
  /** Ghost: events that happened at least once, for the witnesses (sorted). */
  readonly seen: readonly Seen[];
  /** The abstract clock. */
  readonly clock: number;
}

type Seen = 'event received' | 'expiry removed an ephemeral' | 'multi failed';

const see = (seen: readonly Seen[], what: Seen): readonly Seen[] => (seen.includes(what) ? seen : [...seen, what].sort());

export type SessionAction =
  | { readonly kind: 'request'; readonly client: number; readonly label: string; readonly request: ZkRequest }
  | { readonly kind: 'connect'; readonly client: number }
  | { readonly kind: 'receive'; readonly client: number }
  | { readonly kind: 'expire'; readonly client: number }
  | { readonly kind: 'ping'; readonly client: number }
  | { readonly kind: 'tick' }
  | { readonly kind: 'reap'; readonly path: string };

export type SessionVariant =
  | 'default'
  | 'expiry-leaves-ephemerals'
  | 'watch-fires-twice'
  | 'sequence-from-child-count'
  | 'delete-checks-node-acl'
  | 'multi-keeps-applied-ops'
  | 'read-overtakes-watch-event';

const BUGS: Record<SessionVariant, TreeBugs> = {
  default: {},
  'expiry-leaves-ephemerals': { expiryLeavesEphemerals: true },
  'watch-fires-twice': { watchFiresTwice: true },
  'sequence-from-child-count': { sequenceFromChildCount: true },
  'delete-checks-node-acl': { deleteChecksNodeAcl: true },
  'multi-keeps-applied-ops': { multiKeepsAppliedOps: true },
  'read-overtakes-watch-event': {},
};

const NO_DELETE = [{ perms: Perms.ALL & ~Perms.DELETE, scheme: 'world', id: 'anyone' }];
const SETUP_ZXIDS = 3;

/** A fresh server with /q created by a setup session, which then closes. */
function setup(): ZkState {
  let tree = initialState();
  const step = (request: ZkRequest) => {
    const r = apply(tree, request, { zxid: tree.lastZxid + 1, time: tree.lastZxid + 1 });
    tree = r.state;
    return r;
  };
  const opened = step({ kind: 'createSession', timeoutMs: 4000, clientIp: '127.0.0.1' });
  if (opened.response.kind !== 'session') throw new Error('setup: no session');
  const session = opened.response.session;
  step({ kind: 'create', session, path: '/q', data: '', acl: NO_DELETE, mode: 'persistent' });
  step({ kind: 'closeSession', session });
  if (tree.lastZxid !== SETUP_ZXIDS) throw new Error(`setup took ${tree.lastZxid} zxids`);
  return tree;
}

const SEQUENCE = /^\/q\/s-(\d{10})$/;

/** The requests a connected client may send, labelled in protocol words. */
function requestsOf(session: number, tree: ZkState): { label: string; request: ZkRequest }[] {
  const firstChild = tree.nodes['/q']?.children[0];
  return [
    { label: 'create /e ephemeral', request: { kind: 'create', session, path: '/e', data: 'a', acl: OPEN_ACL_UNSAFE, mode: 'ephemeral' } },
    { label: 'create /q/s- ephemeral-sequential', request: { kind: 'create', session, path: '/q/s-', data: '', acl: OPEN_ACL_UNSAFE, mode: 'ephemeral-sequential' } },
    { label: 'setData /e', request: { kind: 'setData', session, path: '/e', data: 'b', version: -1 } },
    { label: 'delete /e', request: { kind: 'delete', session, path: '/e', version: -1 } },
    ...(firstChild === undefined ? [] : [{ label: `delete /q/${firstChild}`, request: { kind: 'delete' as const, session, path: `/q/${firstChild}`, version: -1 } }]),
    { label: 'exists /e watch', request: { kind: 'exists', session, path: '/e', watch: true } },
    { label: 'getData /e watch', request: { kind: 'getData', session, path: '/e', watch: true } },
    { label: 'getChildren /q watch', request: { kind: 'getChildren', session, path: '/q', watch: true } },
    {
      label: 'multi [create /m, setData /e]',
      request: { kind: 'multi', session, ops: [{ kind: 'create', path: '/m', data: '', acl: OPEN_ACL_UNSAFE, mode: 'persistent' }, { kind: 'setData', path: '/e', data: 'c', version: -1 }] },
    },
    { label: 'close', request: { kind: 'closeSession', session } },
  ];
}

function watchOf(request: ZkRequest): Watch | undefined {
  if (request.kind === 'exists' && request.watch) return { kind: 'data', path: request.path };
  if (request.kind === 'getData' && request.watch) return { kind: 'data', path: request.path };
  if (request.kind === 'getChildren' && request.watch) return { kind: 'child', path: request.path };
  return undefined;
}

/** Whether an event answers a watch: data watches hear created, deleted and data changed;
 * child watches hear children changed and deleted (ZooKeeper's Watcher.Event.EventType). */
function answers(w: Watch, e: WatchEvent): boolean {
  if (w.path !== e.path) return false;
  return w.kind === 'data' ? e.type !== 'NodeChildrenChanged' : e.type === 'NodeChildrenChanged' || e.type === 'NodeDeleted';
}

const sameWatch = (a: Watch, b: Watch) => a.kind === b.kind && a.path === b.path;
const addWatch = (ws: readonly Watch[], w: Watch) =>
  ws.some((x) => sameWatch(x, w)) ? ws : [...ws, w].sort((a, b) => (a.path + a.kind < b.path + b.kind ? -1 : a.path + a.kind > b.path + b.kind ? 1 : 0));

class SessionModel {
  constructor(
    private readonly variant: SessionVariant,
    private readonly zxidMax: number,
    private readonly connectsMax: number,
    private readonly timeMax: number,
    private readonly sessionTimeout: number,
  ) {}

  private get bugs(): TreeBugs {
    return BUGS[this.variant];
  }

  init(): SessionState {
    const empty: Client = { session: null, connects: 0, heard: 0, watches: [], inbox: [] };
    return { tree: setup(), clients: [empty, empty], lastSequence: -1, broken: [], seen: [], clock: 0 };
  }

  private canWrite(s: SessionState): boolean {
    return s.tree.lastZxid < SETUP_ZXIDS + this.zxidMax;
  }

  actions(s: SessionState): SessionAction[] {
    if (s.broken.length > 0) return [];
    const out: SessionAction[] = [];
    s.clients.forEach((c, client) => {
      if (c.inbox.length > 0) out.push({ kind: 'receive', client });
      const live = c.session !== null && findSession(s.tree, c.session) !== undefined;
      if (!live && c.connects < this.connectsMax && this.canWrite(s) && c.inbox.length === 0) out.push({ kind: 'connect', client });
      if (!live || c.session === null) return;
      // A client waits for each answer, and an answer comes behind the events already sent on
      // the connection: it sends only with its inbox empty (the planted bug answers reads first).
      const idle = c.inbox.length === 0;
      for (const { label, request } of requestsOf(c.session, s.tree)) {
        const write = request.kind !== 'exists' && request.kind !== 'getData' && request.kind !== 'getChildren';
        if (write ? idle && this.canWrite(s) : idle || this.variant === 'read-overtakes-watch-event') out.push({ kind: 'request', client, label, request });
      }
      if (c.heard < s.clock) out.push({ kind: 'ping', client });
      if (this.canWrite(s) && s.clock - c.heard >= this.sessionTimeout) out.push({ kind: 'expire', client });
    });
    if (s.clock < this.timeMax) out.push({ kind: 'tick' });
    if (this.bugs.expiryLeavesEphemerals && this.canWrite(s)) {
      for (const [path, node] of Object.entries(s.tree.nodes)) {
        if (node.stat.ephemeralOwner !== 0 && findSession(s.tree, node.stat.ephemeralOwner) === undefined) out.push({ kind: 'reap', path });
      }
    }
    return out;
  }

  step(s: SessionState, a: SessionAction): SessionState {
    const at = { zxid: s.tree.lastZxid + 1, time: s.tree.lastZxid + 1 };
    switch (a.kind) {
      case 'connect': {
        const r = apply(s.tree, { kind: 'createSession', timeoutMs: 4000, clientIp: '127.0.0.1' }, at, this.bugs);
        if (r.response.kind !== 'session') throw new Error(`createSession answered ${r.response.kind}`);
        const c = s.clients[a.client];
        // A new session: the old one's watches are gone (the client library drops them on expiry).
        return this.after(s, r, a.client, { session: r.response.session, connects: c.connects + 1, heard: s.clock, watches: [], inbox: c.inbox });
      }
      case 'tick':
        return { ...s, clock: s.clock + 1 };
      case 'ping':
        return { ...s, clients: s.clients.map((c, k) => (k === a.client ? { ...c, heard: s.clock } : c)) };
      case 'expire': {
        const session = s.clients[a.client].session!;
        const r = apply(s.tree, { kind: 'expireSession', session }, at, this.bugs);
        const next = this.after(s, r, a.client, undefined);
        const removed = Object.keys(r.state.nodes).length < Object.keys(s.tree.nodes).length;
        return removed ? { ...next, seen: see(next.seen, 'expiry removed an ephemeral') } : next;
      }
      case 'reap':
        return this.after(s, removeOrphanEphemeral(s.tree, a.path, at), undefined, undefined);
      case 'receive':
        return this.receive(s, a.client);
      case 'request':
        return this.request(s, a.client, a.request, at);
    }
  }

  private request(s: SessionState, client: number, request: ZkRequest, at: { zxid: number; time: number }): SessionState {
    const r = apply(s.tree, request, at, this.bugs);
    const c = { ...s.clients[client], heard: s.clock };
    const broken = [...this.deleteBroken(s, request, r), ...this.readBroken(c, request, r)];
    const w = watchOf(request);
    const watched = w !== undefined && r.response.kind !== 'error' ? { ...c, watches: addWatch(c.watches, w) } : c;
    // exists on a missing node sets its watch too (DataTree.statNode).
    const existsWatch = w !== undefined && request.kind === 'exists' && r.response.kind === 'error' ? { ...c, watches: addWatch(c.watches, w) } : watched;
    const next = this.after(s, r, client, request.kind === 'closeSession' ? { ...existsWatch, session: null, watches: [] } : existsWatch);
    const multiFailed = r.response.kind === 'multi' && multiFailure(r.response.results) !== undefined;
    const seen = multiFailed ? see(next.seen, 'multi failed') : next.seen;
    return broken.length === 0 && seen === next.seen ? next : { ...next, broken: [...next.broken, ...broken], seen };
  }

  /** The common part of a step: the new tree, the client's new view, every event queued to its
   * client's connection, the ghost checks of the step. */
  private after(s: SessionState, r: ApplyResult, client: number | undefined, view: Client | undefined): SessionState {
    const broken = stepProblems(s.tree, r).map((message) => ({ property: 'FailedRequestChangesNothing', message }));
    let lastSequence = s.lastSequence;
    if (r.response.kind === 'created') {
      const m = SEQUENCE.exec(r.response.path);
      if (m !== null) {
        const n = Number(m[1]);
        if (n <= lastSequence) broken.push({ property: 'SequenceNumbersIncrease', message: `${r.response.path} was created after /q/s-${String(lastSequence).padStart(10, '0')}` });
        lastSequence = Math.max(lastSequence, n);
      }
    }
    let clients = s.clients.map((c, k) => (k === client && view !== undefined ? view : c));
    // An expired session's connection is gone, with its watches and undelivered events.
    if (client !== undefined && view === undefined) clients = clients.map((c, k) => (k === client ? { ...c, session: null, watches: [], inbox: [] } : c));
    for (const e of r.events) {
      clients = clients.map((c) => (c.session === e.session ? { ...c, inbox: [...c.inbox, { ...e, zxid: r.state.lastZxid }] } : c));
    }
    return { tree: r.state, clients, lastSequence, broken: broken.length === 0 ? s.broken : [...s.broken, ...broken], seen: s.seen, clock: s.clock };
  }

  /** The client receives the first event on its connection: it must answer a watch the client set. */
  private receive(s: SessionState, client: number): SessionState {
    const c = s.clients[client];
    const [e, ...inbox] = c.inbox;
    const matching = c.watches.filter((w) => answers(w, e));
    const watches = c.watches.filter((w) => !answers(w, e));
    const broken = matching.length === 0
      ? [{ property: 'WatchFiresOnce', message: `client ${client} received ${e.type} ${e.path} (zxid ${e.zxid}) with no watch set on it: a watch fired twice, or an earlier event was taken for a later watch` }]
      : [];
    return {
      ...s,
      clients: s.clients.map((x, k) => (k === client ? { ...c, inbox, watches } : x)),
      broken: broken.length === 0 ? s.broken : [...s.broken, ...broken],
      seen: see(s.seen, 'event received'),
    };
  }

  /** Ghost check of a delete: it may succeed only with DELETE on the parent. */
  private deleteBroken(s: SessionState, request: ZkRequest, r: ApplyResult): SessionState['broken'] {
    if (request.kind !== 'delete' || r.response.kind === 'error') return [];
    const parentAt = request.path.slice(0, request.path.lastIndexOf('/')) || '/';
    const session = findSession(s.tree, request.session)!;
    if (allowed(s.tree.nodes[parentAt].acl, Perms.DELETE, session)) return [];
    return [{ property: 'DeleteNeedsParentPermission', message: `session ${request.session} deleted ${request.path} without DELETE on ${parentAt}` }];
  }

  /** Ghost check of a read: data newer than an event still on its way to the client. */
  private readBroken(c: Client, request: ZkRequest, r: ApplyResult): SessionState['broken'] {
    const response = r.response;
    if (request.kind !== 'getData' || response.kind !== 'data') return [];
    const mzxid = response.stat.mzxid;
    const pending = c.inbox.find((e) => e.path === request.path && e.zxid <= mzxid);
    if (pending === undefined) return [];
    return [{ property: 'WatchEventBeforeNewerData', message: `session ${request.session} read ${request.path} at mzxid ${mzxid} before receiving ${pending.type} ${pending.path} (zxid ${pending.zxid})` }];
  }
}

type S = SessionState;

const ghost = (property: string): Invariant<S> => ({
  name: property,
  check: (s) => s.broken.find((b) => b.property === property)?.message,
});

const invariants: Invariant<S>[] = [
  { name: 'NoEphemeralOutlivesSession', check: (s) => orphanedEphemerals(s.tree)[0] },
  { name: 'TreeWellFormed', check: (s) => structureProblems(s.tree)[0] },
  ghost('WatchFiresOnce'),
  ghost('SequenceNumbersIncrease'),
  ghost('DeleteNeedsParentPermission'),
  ghost('FailedRequestChangesNothing'),
  ghost('WatchEventBeforeNewerData'),
];

const witnesses: Witness<S>[] = [
  { name: 'a watch event is received', holds: (s) => s.seen.includes('event received') },
  { name: 'an expiry removes an ephemeral', holds: (s) => s.seen.includes('expiry removed an ephemeral') },
  { name: 'a second sequential node is created', holds: (s) => s.lastSequence >= 1 },
  { name: 'a client reconnects with a new session', holds: (s) => s.clients.some((c) => c.connects >= 2 && c.session !== null) },
  { name: 'a multi fails', holds: (s) => s.seen.includes('multi failed') },
];

function describe(a: SessionAction): string {
  switch (a.kind) {
    case 'request':
      return `c${a.client} ${a.label}`;
    case 'connect':
      return `c${a.client} connect`;
    case 'receive':
      return `c${a.client} receives event`;
    case 'expire':
      return `expire c${a.client}'s session`;
    case 'ping':
      return `c${a.client} ping`;
    case 'tick':
      return 'tick';
    case 'reap':
      return `server removes ${a.path}`;
  }
}

export function zookeeperSession(params: Params, variant: SessionVariant = 'default') {
  const m = new SessionModel(variant, params.zxidMax, params.connectsMax, params.timeMax, params.sessionTimeout);
  return {
    init: [m.init()],
    actions: (s: S) => m.actions(s),
    step: (s: S, a: SessionAction) => m.step(s, a),
    invariants,
    sometimes: witnesses,
    describe,
    // Runs end when the zxid budget is spent and the inboxes are empty: nothing is left to do.
    isFinal: () => true,
  };
}

export const zookeeperSessionDefinition: ModelDefinition = {
  name: 'zookeeper-session',
  summary: 'ZooKeeper sessions, ephemerals, sequential nodes, watches and ACLs over the data-tree reducer',
  source: 'ZooKeeper 3.8 server semantics (models/zookeeper); ZooKeeper Programmer\'s Guide, sessions and watches',
  params: [
    { name: 'zxidMax', description: 'transactions after the setup (every write takes a zxid, failed or not)', default: 4, min: 1, max: 12 },
    { name: 'connectsMax', description: 'sessions each client may open', default: 2, min: 1, max: 4 },
    { name: 'timeMax', description: 'the clock stops at this value', default: 2, min: 0, max: 8 },
    { name: 'sessionTimeout', description: 'ticks without a request or ping after which the server expires a session', default: 1, min: 1, max: 8 },
  ],
  variants: [
    { name: 'default', description: 'the server: ephemerals die with their session, watches are one-shot, sequence numbers never repeat', expect: { status: 'holds' } },
    { name: 'expiry-leaves-ephemerals', description: 'bug: a session ends but its ephemerals are removed later, one by one', expect: { status: 'violation', property: 'NoEphemeralOutlivesSession' } },
    { name: 'watch-fires-twice', description: 'bug: a watch stays set after it fires', expect: { status: 'violation', property: 'WatchFiresOnce' } },
    { name: 'sequence-from-child-count', description: 'bug: the sequence number is the parent\'s child count, reused after a delete', expect: { status: 'violation', property: 'SequenceNumbersIncrease' }, params: { zxidMax: 5 } },
    { name: 'delete-checks-node-acl', description: 'bug: delete checks DELETE on the node instead of its parent', expect: { status: 'violation', property: 'DeleteNeedsParentPermission' } },
    { name: 'multi-keeps-applied-ops', description: 'bug: a failed multi keeps the ops before the failing one', expect: { status: 'violation', property: 'FailedRequestChangesNothing' } },
    {
      name: 'read-overtakes-watch-event',
      description: 'bug: the server answers a read before the watch events it already sent',
      // The client then re-arms a watch before the old event arrives, takes the old event for
      // the new watch, and a later event finds no watch: WatchFiresOnce fails downstream.
      expect: { status: 'violation', property: 'WatchEventBeforeNewerData', also: ['WatchFiresOnce'] },
    },
  ],
  scenarios: [
    {
      kind: 'safety',
      name: 'five-transactions',
      description: 'the faithful server with one more transaction and one tick (zxidMax=5, timeMax=1)',
      params: { zxidMax: 5, timeMax: 1 },
      expect: { status: 'holds' },
    },
  ],
  create: (params, variant) => zookeeperSession(params, variant as SessionVariant),
};
