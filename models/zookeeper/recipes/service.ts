// The ZooKeeper *service* the recipes run against, and the faults of their clients, as one
// model: a recipe is a set of client state machines (pure reducers) that issue ZooKeeper calls
// one at a time; this file owns the service (the data-tree reducer of models/zookeeper, one
// linearizable tree), the clients' connections, sessions and abstract time.
//
// Why one tree: the ensemble model (`zookeeper`, models/zookeeper/ensemble*) checks that the
// replicated service gives linearizable writes, sequentially consistent reads with `sync`, one
// order of watch events per session and atomic session expiry. The recipes here use only
// writes, reads that follow their own writes on one session, and watches; each is correct
// against a linearizable tree if and only if it is against the ensemble as those guarantees
// describe it, so the service is a single tree applying one request per step.
//
// A client's connection, as the ZooKeeper client library presents it:
// - `call`: the request reaches the server and is applied in one step; its reply goes to the
//   client's inbox behind the watch events already sent to it (one ordered connection). A
//   client sends only with an empty inbox: acting before handling a delivered event is the
//   same run as acting before the event arrived, which the interleavings already contain.
// - `partition` (fault): the connection drops; a reply still in the inbox is lost, so the
//   client gets ConnectionLoss for a call that *was* applied. `lose` (fault) is the other
//   case: a write is sent and lost with the connection, *not* applied, and the client sees the
//   same ConnectionLoss. Watch events already sent stay queued (on reconnect the client library
//   re-registers its watches with its last zxid and the server fires what it missed).
// - `reconnect`: the session is still alive, the connection comes back; or it expired while
//   the client was away, which the client learns only now (ZooKeeper's Expired event): it drops
//   everything and, within `connectsMax`, starts over with a new session.
// - `crash` (fault): the client process stops for good; its session lives until it expires.
// - `tick` and `expire`: abstract time. The server hears a connected client's pings, so only a
//   disconnected or crashed client's session goes silent; each tick adds one to every silent
//   session's count (capped at `sessionTimeout`), and once it reaches `sessionTimeout` the
//   server may expire the session (ZooKeeper's SessionTracker): its ephemerals go in one txn,
//   firing the watches of the others.
//
// Bounds (params): `partitionsMax` connection losses (partition or lose) in a run, `crashesMax`
// client crashes, `connectsMax` sessions per client (the first is opened at setup), and
// `sessionTimeout` ticks. Left out: a connected client whose session expires (a client that
// stops pinging is a partitioned one here), a crashed client restarting (it never comes back),
// reads lost with the connection (a lost read is a partition before the read), and the zxid
// values and times of the reducer beyond what one run produces.

import type { Invariant, Witness } from '../../../src/core/model.ts';
import {
  apply,
  findSession,
  initialState,
  OPEN_ACL_UNSAFE,
  type ApplyResult,
  type TreeBugs,
  type WatchEvent,
  type ZkRequest,
  type ZkResponse,
  type ZkState,
} from '../index.ts';

/** What the client receives on its connection, in order. */
export type Msg =
  | { readonly kind: 'event'; readonly type: WatchEvent['type']; readonly path: string }
  | { readonly kind: 'reply'; readonly label: string; readonly response: ZkResponse };

export interface Slot<C> {
  /** The session the client uses (it may have expired without the client knowing); null once
   * the client has given up (no session left in its budget). */
  readonly session: number | null;
  readonly conn: 'up' | 'down' | 'crashed';
  /** Ticks since the server last heard from the session (counts while down or crashed). */
  readonly silent: number;
  readonly inbox: readonly Msg[];
  /** The call whose reply the client waits for (its label), or null. */
  readonly inflight: string | null;
  readonly connects: number;
  /** The recipe's own state of this client. */
  readonly c: C;
}

export interface RecipeState<C, W> {
  readonly tree: ZkState;
  readonly slots: readonly Slot<C>[];
  /** The recipe's shared world: a protected resource, and ghost records for the properties. */
  readonly world: W;
  readonly partitions: number;
  readonly crashes: number;
}

/** What a client may do next: a ZooKeeper call (needs its connection), or a local step (a
 * resource access, a decision) that needs no connection. */
export type Move =
  | { readonly kind: 'call'; readonly request: ZkRequest }
  | { readonly kind: 'local'; readonly label: string; readonly op: string };

export type RecipeAction =
  | { readonly kind: 'call'; readonly client: number; readonly label: string; readonly request: ZkRequest }
  | { readonly kind: 'local'; readonly client: number; readonly label: string; readonly op: string }
  | { readonly kind: 'receive'; readonly client: number; readonly what: string }
  | { readonly kind: 'partition'; readonly client: number }
  | { readonly kind: 'lose'; readonly client: number; readonly label: string; readonly request: ZkRequest }
  | { readonly kind: 'reconnect'; readonly client: number }
  | { readonly kind: 'crash'; readonly client: number }
  | { readonly kind: 'tick' }
  | { readonly kind: 'expire'; readonly client: number; readonly session: number };

/** A recipe: its clients' reducers, its world, its properties. Every handler is pure and
 * returns the client's new state and the new world. */
export interface Recipe<C, W> {
  readonly clients: number;
  /** Client names for messages and traces (`c0`, `producer`...). */
  readonly names: readonly string[];
  /** Persistent znodes created at setup, parents first. */
  readonly parents: readonly string[];
  readonly bugs?: TreeBugs;
  initClient(i: number): C;
  readonly world: W;
  moves(c: C, i: number, session: number, w: W): readonly Move[];
  onReply(c: C, w: W, i: number, label: string, response: ZkResponse, session: number): [C, W];
  onEvent(c: C, w: W, i: number, event: Msg & { kind: 'event' }): [C, W];
  /** The connection dropped; `inflight` is the call that may or may not have been applied. */
  onConnectionLoss(c: C, w: W, i: number, inflight: string | null): [C, W];
  /** The client learns on reconnecting that its session expired. */
  onExpired(c: C, w: W, i: number): [C, W];
  onLocal(c: C, w: W, i: number, op: string): [C, W];
  /** Ghost records of what the server did (a request applied, a session expired). */
  onApplied?(w: W, i: number, request: ZkRequest, r: ApplyResult, before: ZkState, slots: readonly Slot<C>[]): W;
  /** Whether client i has nothing left to do unless an event or fault comes. */
  done(c: C): boolean;
  /** Whether a fault may hit client i now (default: always); faults on a finished client whose
   * session matters no more only multiply states. */
  faultable?(c: C): boolean;
  readonly invariants: readonly Invariant<RecipeState<C, W>>[];
  readonly witnesses: readonly Witness<RecipeState<C, W>>[];
  /** Whether a run may end in `s` (default: every client crashed, without a session, or done). */
  final?(s: RecipeState<C, W>): boolean;
}

/** What a recipe's properties may ask of the service: whether a state is settled (nothing but
 * faults enabled: every reply and event received, every expiry due processed). Bound after the
 * service is built. */
export interface ServiceView {
  settled(s: RecipeState<unknown, unknown>): boolean;
}

export interface Bounds {
  readonly partitionsMax: number;
  readonly crashesMax: number;
  readonly connectsMax: number;
  readonly sessionTimeout: number;
}

function assert(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Error(`zookeeper-recipes: ${message}`);
}

/** The request in protocol words: `create /lock/c0s4- ephemeral-sequential`. */
export function labelOf(r: ZkRequest): string {
  switch (r.kind) {
    case 'create':
      return `create ${r.path} ${r.mode}${r.data === '' ? '' : ` "${r.data}"`}`;
    case 'delete':
      return `delete ${r.path}`;
    case 'setData':
      return `setData ${r.path} "${r.data}"${r.version === -1 ? '' : ` v${r.version}`}`;
    case 'exists':
    case 'getData':
    case 'getChildren':
      return `${r.kind} ${r.path}${r.watch ? ' watch' : ''}`;
    case 'multi':
      return `multi [${r.ops.map((op) => `${op.kind} ${op.path}`).join(', ')}]`;
    default:
      return r.kind;
  }
}

export function describeResponse(r: ZkResponse): string {
  switch (r.kind) {
    case 'error':
      return r.code;
    case 'created':
      return `created ${r.path}`;
    case 'stat':
      return `stat czxid=${r.stat.czxid} owner=${r.stat.ephemeralOwner} v${r.stat.version}`;
    case 'data':
      return `data "${r.data}" v${r.stat.version}`;
    case 'children':
      return `children [${r.children.join(', ')}]`;
    case 'multi':
      return `multi ${r.results.map((x) => (x.kind === 'error' ? x.code : x.kind)).join(', ')}`;
    default:
      return r.kind;
  }
}

const isWriteRequest = (r: ZkRequest) => r.kind === 'create' || r.kind === 'delete' || r.kind === 'setData' || r.kind === 'multi';

/** The service with the recipe's clients, as a Model. */
export class Service<C, W> {
  constructor(
    readonly recipe: Recipe<C, W>,
    readonly bounds: Bounds,
  ) {}

  private get bugs(): TreeBugs {
    return this.recipe.bugs ?? {};
  }

  init(): RecipeState<C, W> {
    let tree = initialState();
    const run = (request: ZkRequest): ZkResponse => {
      const r = apply(tree, request, { zxid: tree.lastZxid + 1, time: tree.lastZxid + 1 });
      tree = r.state;
      return r.response;
    };
    const opened = run({ kind: 'createSession', timeoutMs: 4000, clientIp: '127.0.0.1' });
    assert(opened.kind === 'session', 'setup has no session');
    for (const path of this.recipe.parents) {
      const r = run({ kind: 'create', session: opened.session, path, data: '', acl: OPEN_ACL_UNSAFE, mode: 'persistent' });
      assert(r.kind === 'created', `setup could not create ${path}`);
    }
    run({ kind: 'closeSession', session: opened.session });
    const slots: Slot<C>[] = [];
    for (let i = 0; i < this.recipe.clients; i++) {
      const s = run({ kind: 'createSession', timeoutMs: 4000, clientIp: `10.0.0.${i + 1}` });
      assert(s.kind === 'session', 'a client has no session');
      slots.push({ session: s.session, conn: 'up', silent: 0, inbox: [], inflight: null, connects: 1, c: this.recipe.initClient(i) });
    }
    return { tree, slots, world: this.recipe.world, partitions: 0, crashes: 0 };
  }

  alive(s: RecipeState<C, W>, i: number): boolean {
    const session = s.slots[i].session;
    return session !== null && findSession(s.tree, session) !== undefined;
  }

  actions(s: RecipeState<C, W>): RecipeAction[] {
    const out: RecipeAction[] = [];
    const { partitionsMax, crashesMax, sessionTimeout } = this.bounds;
    s.slots.forEach((slot, client) => {
      if (slot.conn === 'crashed' || slot.session === null) {
        if (slot.conn === 'crashed' && this.alive(s, client) && slot.silent >= sessionTimeout) out.push({ kind: 'expire', client, session: slot.session! });
        return;
      }
      const faultable = this.recipe.faultable?.(slot.c) ?? true;
      if (slot.conn === 'up' && slot.inbox.length > 0) out.push({ kind: 'receive', client, what: describeMsg(slot.inbox[0]) });
      const idle = slot.inflight === null && (slot.inbox.length === 0 || slot.conn === 'down');
      if (idle) {
        for (const m of this.recipe.moves(slot.c, client, slot.session, s.world)) {
          if (m.kind === 'local') out.push({ kind: 'local', client, label: m.label, op: m.op });
          else if (slot.conn === 'up') {
            out.push({ kind: 'call', client, label: labelOf(m.request), request: m.request });
            if (faultable && s.partitions < partitionsMax && isWriteRequest(m.request)) out.push({ kind: 'lose', client, label: labelOf(m.request), request: m.request });
          }
        }
      }
      if (slot.conn === 'up' && faultable && s.partitions < partitionsMax) out.push({ kind: 'partition', client });
      if (slot.conn === 'down') out.push({ kind: 'reconnect', client });
      if (faultable && s.crashes < crashesMax) out.push({ kind: 'crash', client });
      if (slot.conn === 'down' && this.alive(s, client) && slot.silent >= sessionTimeout) out.push({ kind: 'expire', client, session: slot.session });
    });
    if (s.slots.some((slot, i) => slot.conn !== 'up' && this.alive(s, i) && slot.silent < sessionTimeout)) out.push({ kind: 'tick' });
    return out;
  }

  isFault(a: RecipeAction): boolean {
    return a.kind === 'partition' || a.kind === 'lose' || a.kind === 'crash';
  }

  step(s: RecipeState<C, W>, a: RecipeAction): RecipeState<C, W> {
    switch (a.kind) {
      case 'call':
        return this.call(s, a.client, a.label, a.request);
      case 'local': {
        const slot = s.slots[a.client];
        const [c, world] = this.recipe.onLocal(slot.c, s.world, a.client, a.op);
        return { ...s, world, slots: setSlot(s.slots, a.client, { ...slot, c }) };
      }
      case 'receive':
        return this.receive(s, a.client);
      case 'partition':
        return this.disconnect({ ...s, partitions: s.partitions + 1 }, a.client, s.slots[a.client].inflight);
      case 'lose':
        return this.disconnect({ ...s, partitions: s.partitions + 1 }, a.client, a.label);
      case 'reconnect':
        return this.reconnect(s, a.client);
      case 'crash': {
        const slot = s.slots[a.client];
        return { ...s, crashes: s.crashes + 1, slots: setSlot(s.slots, a.client, { ...slot, conn: 'crashed', inbox: [], inflight: null, silent: 0 }) };
      }
      case 'tick':
        return {
          ...s,
          slots: s.slots.map((slot, i) => (slot.conn !== 'up' && this.alive(s, i) && slot.silent < this.bounds.sessionTimeout ? { ...slot, silent: slot.silent + 1 } : slot)),
        };
      case 'expire': {
        const request: ZkRequest = { kind: 'expireSession', session: a.session };
        const [r] = this.applyRequest(s, a.client, request);
        const slot = r.slots[a.client];
        // The expired session's connection and undelivered events are gone.
        return { ...r, slots: setSlot(r.slots, a.client, { ...slot, inbox: [] }) };
      }
    }
  }

  /** Applies a request at the server: the new tree, every watch event queued to its session's
   * client, and the recipe's ghost records. */
  private applyRequest(s: RecipeState<C, W>, client: number, request: ZkRequest): [RecipeState<C, W>, ZkResponse] {
    const r = apply(s.tree, request, { zxid: s.tree.lastZxid + 1, time: s.tree.lastZxid + 1 }, this.bugs);
    let slots = s.slots;
    for (const e of r.events) {
      const k = slots.findIndex((x) => x.session === e.session && x.conn !== 'crashed');
      if (k >= 0) slots = setSlot(slots, k, { ...slots[k], inbox: [...slots[k].inbox, { kind: 'event', type: e.type, path: e.path }] });
    }
    const world = this.recipe.onApplied === undefined ? s.world : this.recipe.onApplied(s.world, client, request, r, s.tree, s.slots);
    return [{ ...s, tree: r.state, slots, world }, r.response];
  }

  private call(s: RecipeState<C, W>, client: number, label: string, request: ZkRequest): RecipeState<C, W> {
    const [next, response] = this.applyRequest(s, client, request);
    const slot = next.slots[client];
    return { ...next, slots: setSlot(next.slots, client, { ...slot, inflight: label, inbox: [...slot.inbox, { kind: 'reply', label, response }] }) };
  }

  private receive(s: RecipeState<C, W>, client: number): RecipeState<C, W> {
    const slot = s.slots[client];
    const [m, ...inbox] = slot.inbox;
    if (m.kind === 'event') {
      const [c, world] = this.recipe.onEvent(slot.c, s.world, client, m);
      return { ...s, world, slots: setSlot(s.slots, client, { ...slot, inbox, c }) };
    }
    assert(slot.inflight === m.label, `${this.recipe.names[client]} received a reply to ${m.label} while waiting for ${slot.inflight}`);
    const [c, world] = this.recipe.onReply(slot.c, s.world, client, m.label, m.response, slot.session!);
    return { ...s, world, slots: setSlot(s.slots, client, { ...slot, inbox, inflight: null, c }) };
  }

  private disconnect(s: RecipeState<C, W>, client: number, inflight: string | null): RecipeState<C, W> {
    const slot = s.slots[client];
    const [c, world] = this.recipe.onConnectionLoss(slot.c, s.world, client, inflight);
    const inbox = slot.inbox.filter((m) => m.kind === 'event');
    return { ...s, world, slots: setSlot(s.slots, client, { ...slot, conn: 'down', silent: 0, inbox, inflight: null, c }) };
  }

  private reconnect(s: RecipeState<C, W>, client: number): RecipeState<C, W> {
    const slot = s.slots[client];
    if (this.alive(s, client)) return { ...s, slots: setSlot(s.slots, client, { ...slot, conn: 'up', silent: 0 }) };
    const [c, world] = this.recipe.onExpired(slot.c, s.world, client);
    if (slot.connects >= this.bounds.connectsMax) {
      return { ...s, world, slots: setSlot(s.slots, client, { ...slot, conn: 'up', session: null, silent: 0, inbox: [], c }) };
    }
    const r = apply(s.tree, { kind: 'createSession', timeoutMs: 4000, clientIp: `10.0.0.${client + 1}` }, { zxid: s.tree.lastZxid + 1, time: s.tree.lastZxid + 1 });
    assert(r.response.kind === 'session', 'createSession failed');
    const fresh: Slot<C> = { session: r.response.session, conn: 'up', silent: 0, inbox: [], inflight: null, connects: slot.connects + 1, c };
    return { ...s, tree: r.state, world, slots: setSlot(s.slots, client, fresh) };
  }

  /** Nothing but faults is enabled: every client has done what it can (a property "once
   * expiries are processed" or "once writes stop" is checked in such states). */
  settled(s: RecipeState<C, W>): boolean {
    return this.actions(s).every((a) => this.isFault(a));
  }

  isFinal(s: RecipeState<C, W>): boolean {
    if (this.recipe.final !== undefined) return this.recipe.final(s);
    return s.slots.every((slot) => slot.conn === 'crashed' || slot.session === null || this.recipe.done(slot.c));
  }

  describe(a: RecipeAction): string {
    const name = (i: number) => this.recipe.names[i];
    switch (a.kind) {
      case 'call':
        return `${name(a.client)} ${a.label}`;
      case 'local':
        return `${name(a.client)} ${a.label}`;
      case 'receive':
        return `${name(a.client)} <- ${a.what}`;
      case 'partition':
        return `partition ${name(a.client)} from the service`;
      case 'lose':
        return `${name(a.client)} ${a.label} lost with the connection`;
      case 'reconnect':
        return `${name(a.client)} reconnects`;
      case 'crash':
        return `crash ${name(a.client)}`;
      case 'tick':
        return 'tick';
      case 'expire':
        return `expire ${name(a.client)}'s session ${a.session}`;
    }
  }
}

function describeMsg(m: Msg): string {
  return m.kind === 'event' ? `${m.type} ${m.path}` : `${describeResponse(m.response)} (${m.label})`;
}

/** Whether client i's session is alive at the server. */
export function aliveAt<C, W>(s: RecipeState<C, W>, i: number): boolean {
  const session = s.slots[i].session;
  return session !== null && findSession(s.tree, session) !== undefined;
}

export function setSlot<C>(slots: readonly Slot<C>[], i: number, slot: Slot<C>): readonly Slot<C>[] {
  return slots.map((x, k) => (k === i ? slot : x));
}

/** The sequence number of a sequential znode name (its last ten digits). */
export function sequenceOf(name: string): number {
  const m = /(\d{10})$/.exec(name);
  assert(m !== null, `${name} is not a sequential name`);
  return Number(m[1]);
}

/** Sequential children in sequence order (the server lists them by name; recipes sort by the
 * suffix, since prefixes differ). */
export function bySequence(children: readonly string[]): string[] {
  return [...children].sort((a, b) => sequenceOf(a) - sequenceOf(b));
}

/** Adds a witness record (a sorted set of strings) to a ghost list. */
export function seen<T extends string>(list: readonly T[], what: T): readonly T[] {
  return list.includes(what) ? list : [...list, what].sort();
}
