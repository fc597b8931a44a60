// Actor systems: a protocol is written per node, as a handler from (node state, one input) to
// (new state, effects as data); this module composes N nodes with a network and a fault model
// into a Model, so no protocol re-implements message passing or fault injection.
//
// Inputs: a message, a timer firing, a client request, a restart after a crash.
// Effects (etcd's Ready): send, set/cancel a named timer, persist durable state, reply to a
// client. A handler's step is atomic: its persist happens before its sends are visible
// ("persist before send" holds by construction).
//
// Network semantics (a parameter): `unordered` — a multiset, any message may be delivered next
// (the default); `fifo` — per-channel order, only the head of each (from, to) channel may be
// delivered (TCP-like; ZAB needs it). Faults are explicit actions with budgets: drop,
// duplicate, crash (volatile state and timers lost, persisted state kept), restart, partition
// into two sides (messages across are lost while it lasts) and heal. Timers fire as
// nondeterministic actions while armed: abstract time, no clocks.

import type { Invariant, Model, Witness } from './model.ts';
import { InputError } from './model.ts';
import { compareValues, insertAt, updateAt } from './data.ts';

export type NodeId = string;

export type NodeInput<M, Op> =
  | { readonly kind: 'receive'; readonly from: NodeId; readonly msg: M }
  | { readonly kind: 'timeout'; readonly timer: string }
  /** A local choice the node may make on its own (vote yes / vote no), named by `internal`. */
  | { readonly kind: 'internal'; readonly choice: string }
  | { readonly kind: 'request'; readonly client: number; readonly op: Op };

/** What a handler asks for, applied in order after the step. */
export type Effect<M, D, R> =
  | { readonly kind: 'send'; readonly to: NodeId; readonly msg: M }
  | { readonly kind: 'set-timer'; readonly timer: string }
  | { readonly kind: 'cancel-timer'; readonly timer: string }
  /** Replace the node's durable record (survives crashes). */
  | { readonly kind: 'persist'; readonly data: D }
  | { readonly kind: 'reply'; readonly client: number; readonly result: R };

export interface HandlerResult<S, M, D, R> {
  readonly state: S;
  readonly effects?: readonly Effect<M, D, R>[];
}

export interface NodeContext {
  readonly id: NodeId;
  /** Every node of the system, in the system's order. */
  readonly nodes: readonly NodeId[];
}

/** One role's behaviour. Roles may differ per node (coordinator, participant, acceptor...). */
export interface NodeSpec<S, M, D, Op, R> {
  /** The node's state at system start (and its first effects, e.g. arming a timer). */
  init(ctx: NodeContext): HandlerResult<S, M, D, R>;
  handle(state: S, input: NodeInput<M, Op>, ctx: NodeContext): HandlerResult<S, M, D, R>;
  /** Local choices enabled in `state` (TLA+'s disjuncts such as RMPrepare / RMChooseToAbort);
   * each becomes an action that calls `handle` with an `internal` input. */
  internal?(state: S, ctx: NodeContext): readonly string[];
  /** Recovery after a crash from the last persisted record (undefined if none). Defaults to
   * `init`, i.e. a node that persists nothing forgets everything. */
  restart?(durable: D | undefined, ctx: NodeContext): HandlerResult<S, M, D, R>;
}

export interface Envelope<M> {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly msg: M;
}

/** unordered: a multiset; fifo: per-channel queues; set: unordered, and a message equal to
 * one already in flight adds nothing (TLA+'s message sets; keeps retransmitting protocols
 * finite; duplication is then invisible, so there is no duplicate fault). */
export type NetworkSemantics = 'unordered' | 'fifo' | 'set';

/** asynchronous: an armed timer may fire at any time (messages may be arbitrarily slow, so a
 * timeout proves nothing); synchronous: timers fire only when no message can be delivered and
 * no node has a local choice to make (every message delay and local step is shorter than a
 * timeout, as 3PC assumes); messages to crashed nodes do not hold timers back. */
export type TimeoutSemantics = 'asynchronous' | 'synchronous';

export interface FaultBudget {
  readonly dropsMax?: number;
  readonly duplicatesMax?: number;
  readonly crashesMax?: number;
  readonly partitionsMax?: number;
  /** Nodes that may crash (default: all). */
  readonly crashable?: readonly NodeId[];
}

export interface ClientScript<Op> {
  readonly client: number;
  /** The node the client sends its requests to. */
  readonly node: NodeId;
  /** Operations issued one at a time: the next only after the previous returned. */
  readonly ops: readonly Op[];
}

/** A client operation's invoke and return, as recorded in the system's history. */
export type HistoryEvent<Op, R> =
  | { readonly kind: 'invoke'; readonly client: number; readonly op: Op; readonly node: NodeId }
  | { readonly kind: 'return'; readonly client: number; readonly result: R; readonly node: NodeId };

export interface NodeSlot<S, D> {
  /** Undefined while the node is crashed. */
  readonly state: S | undefined;
  readonly durable: D | undefined;
  /** Armed timers, sorted. */
  readonly timers: readonly string[];
}

export interface SystemState<S, M, D, Op, R> {
  readonly nodes: readonly NodeSlot<S, D>[];
  /** unordered: a sorted multiset of envelopes; fifo: channels in sorted order, each a queue. */
  readonly network: readonly Envelope<M>[];
  /** For each client, how many of its ops were invoked, and whether one is outstanding. */
  readonly clients: readonly { readonly next: number; readonly waiting: boolean }[];
  readonly history: readonly HistoryEvent<Op, R>[];
  readonly faults: { readonly drops: number; readonly duplicates: number; readonly crashes: number; readonly partitions: number };
  /** While partitioned: the node ids on one side (containing the first node), else undefined. */
  readonly partition: readonly NodeId[] | undefined;
}

export type SystemAction<M> =
  | { readonly kind: 'deliver'; readonly envelope: Envelope<M> }
  | { readonly kind: 'timeout'; readonly node: NodeId; readonly timer: string }
  | { readonly kind: 'internal'; readonly node: NodeId; readonly choice: string }
  | { readonly kind: 'request'; readonly client: number }
  | { readonly kind: 'drop'; readonly envelope: Envelope<M> }
  | { readonly kind: 'duplicate'; readonly envelope: Envelope<M> }
  | { readonly kind: 'crash'; readonly node: NodeId }
  | { readonly kind: 'restart'; readonly node: NodeId }
  | { readonly kind: 'partition'; readonly side: readonly NodeId[] }
  | { readonly kind: 'heal' };

export const FAULT_KINDS: ReadonlySet<SystemAction<unknown>['kind']> = new Set([
  'drop', 'duplicate', 'crash', 'restart', 'partition', 'heal',
]);

type Fairness = ActorSystemSpec<unknown, unknown, unknown, unknown, unknown>['fairness'];

function isFairAction(a: SystemAction<unknown>, fairness: Fairness): boolean {
  switch (a.kind) {
    case 'deliver':
    case 'internal':
      return true;
    case 'timeout': {
      const timers = fairness?.timers;
      return timers === 'all' || (timers !== undefined && timers.includes(a.timer));
    }
    case 'request':
      return fairness?.requests === true;
    default:
      return false;
  }
}

function describeFairness(fairness: Fairness): string {
  const timers = fairness?.timers;
  const fairTimers = timers === 'all' ? 'every timer' : timers !== undefined && timers.length > 0 ? `the timers ${timers.join(', ')}` : undefined;
  const fair = ['message delivery', 'local choices', ...(fairTimers ? [fairTimers] : []), ...(fairness?.requests ? ['client requests'] : [])];
  const unfair = [...(fairTimers === 'every timer' ? [] : [fairTimers ? 'other timers' : 'timers']), ...(fairness?.requests ? [] : ['client requests'])];
  return `weak fairness of ${fair.join(', ')}; ${unfair.join(' and ')} may never happen; faults eventually stop`;
}

export interface ActorSystemSpec<S, M, D, Op, R> {
  readonly nodes: readonly { readonly id: NodeId; readonly spec: NodeSpec<S, M, D, Op, R> }[];
  readonly network?: NetworkSemantics;
  readonly timeouts?: TimeoutSemantics;
  readonly faults?: FaultBudget;
  readonly clients?: readonly ClientScript<Op>[];
  readonly invariants: readonly Invariant<SystemState<S, M, D, Op, R>>[];
  readonly sometimes: readonly Witness<SystemState<S, M, D, Op, R>>[];
  /** The run's goal for liveness (e.g. every participant decided): a state where only faults
   * are enabled and it does not hold is stuck. */
  readonly goal?: (state: SystemState<S, M, D, Op, R>) => boolean;
  /** Where a run may end: a state with nothing enabled that is not final is a deadlock.
   * Defaults to the goal (a run that reached its goal may stop there). */
  readonly isFinal?: (state: SystemState<S, M, D, Op, R>) => boolean;
  /** Which actions liveness may assume are eventually taken while they stay enabled (weak
   * fairness). Message delivery and local choices always are; timers only when named here
   * ('all', or a list of timer names: "the election timer is fair"), client requests only with
   * `requests`. A state where the goal does not hold and only faults and unfair actions are
   * enabled is reported as stuck. */
  readonly fairness?: { readonly timers?: 'all' | readonly string[]; readonly requests?: boolean };
  /** Message in protocol words: `Prepare b=3`. */
  readonly describeMessage: (msg: M) => string;
  readonly describeOp?: (op: Op) => string;
}

export type ActorModel<S, M, D, Op, R> = Model<SystemState<S, M, D, Op, R>, SystemAction<M>> & {
  /** Whether an action is a fault (drop, duplicate, crash, restart, partition, heal). */
  isFault(action: SystemAction<M>): boolean;
  /** Message delivery and local choices are weakly fair; timeouts and client requests are not. */
  isFair(action: SystemAction<M>): boolean;
  readonly nodeIds: readonly NodeId[];
};

export function actorSystem<S, M, D, Op, R>(spec: ActorSystemSpec<S, M, D, Op, R>): ActorModel<S, M, D, Op, R> {
  return new ActorSystem(spec).model();
}

type Sys<S, M, D, Op, R> = SystemState<S, M, D, Op, R>;

class ActorSystem<S, M, D, Op, R> {
  private readonly ids: readonly NodeId[];
  private readonly semantics: NetworkSemantics;
  private readonly synchronous: boolean;
  private readonly budget: Required<Omit<FaultBudget, 'crashable'>> & { crashable: readonly NodeId[] };

  constructor(private readonly spec: ActorSystemSpec<S, M, D, Op, R>) {
    this.ids = spec.nodes.map((n) => n.id);
    if (new Set(this.ids).size !== this.ids.length) throw new Error(`node ids must be distinct: ${this.ids.join(', ')}`);
    this.semantics = spec.network ?? 'unordered';
    if (!['unordered', 'fifo', 'set'].includes(this.semantics)) {
      throw new InputError(`unknown network semantics '${String(this.semantics)}' (unordered, fifo or set)`);
    }
    this.synchronous = (spec.timeouts ?? 'asynchronous') === 'synchronous';
    if (!['asynchronous', 'synchronous'].includes(spec.timeouts ?? 'asynchronous')) {
      throw new InputError(`unknown timeout semantics '${String(spec.timeouts)}' (asynchronous or synchronous)`);
    }
    const f = spec.faults ?? {};
    this.budget = {
      dropsMax: f.dropsMax ?? 0,
      duplicatesMax: f.duplicatesMax ?? 0,
      crashesMax: f.crashesMax ?? 0,
      partitionsMax: f.partitionsMax ?? 0,
      crashable: f.crashable ?? this.ids,
    };
    for (const [name, v] of Object.entries(this.budget)) {
      if (typeof v === 'number' && !(Number.isInteger(v) && v >= 0)) throw new InputError(`${name} must be a non-negative integer, got ${v}`);
    }
    for (const c of spec.clients ?? []) this.indexOf(c.node);
  }

  model(): ActorModel<S, M, D, Op, R> {
    const spec = this.spec;
    return {
      init: [this.initial()],
      actions: (s) => this.actions(s),
      step: (s, a) => this.step(s, a),
      invariants: spec.invariants,
      sometimes: spec.sometimes,
      describe: (a) => this.describe(a),
      isFinal: spec.isFinal ?? spec.goal,
      isFault: (a) => FAULT_KINDS.has(a.kind),
      isFair: (a) => isFairAction(a, spec.fairness),
      fairness: describeFairness(spec.fairness),
      ...(spec.goal === undefined ? {} : { goal: spec.goal }),
      nodeIds: this.ids,
    };
  }

  private ctx(i: number): NodeContext {
    return { id: this.ids[i], nodes: this.ids };
  }

  private indexOf(id: NodeId): number {
    const i = this.ids.indexOf(id);
    if (i < 0) throw new Error(`unknown node '${id}' (nodes: ${this.ids.join(', ')})`);
    return i;
  }

  private initial(): Sys<S, M, D, Op, R> {
    let sys: Sys<S, M, D, Op, R> = {
      nodes: this.ids.map(() => ({ state: undefined, durable: undefined, timers: [] })),
      network: [],
      clients: (this.spec.clients ?? []).map(() => ({ next: 0, waiting: false })),
      history: [],
      faults: { drops: 0, duplicates: 0, crashes: 0, partitions: 0 },
      partition: undefined,
    };
    this.spec.nodes.forEach((n, i) => {
      sys = this.apply(sys, i, n.spec.init(this.ctx(i)));
    });
    return sys;
  }

  /** Installs a handler's new state and applies its effects in order. Unchanged parts are
   * shared with the previous state (a step that changes nothing returns `sys` itself). */
  private apply(sys: Sys<S, M, D, Op, R>, i: number, result: HandlerResult<S, M, D, R>): Sys<S, M, D, Op, R> {
    const old = sys.nodes[i];
    const effects = result.effects ?? [];
    if (effects.length === 0 && result.state === old.state) return sys;
    let timers = old.timers;
    let durable = old.durable;
    let network = sys.network;
    let history = sys.history;
    let clients = sys.clients;
    const id = this.ids[i];
    for (const e of effects) {
      switch (e.kind) {
        case 'send':
          this.indexOf(e.to);
          if (!this.crossesPartition(sys.partition, id, e.to)) network = this.enqueue(network, { from: id, to: e.to, msg: e.msg });
          break;
        case 'set-timer':
          timers = addTimer(timers, e.timer);
          break;
        case 'cancel-timer':
          if (timers.includes(e.timer)) timers = timers.filter((t) => t !== e.timer);
          break;
        case 'persist':
          durable = e.data;
          break;
        case 'reply': {
          const c = clients[e.client];
          if (c === undefined || !c.waiting) throw new Error(`${id} replied to client ${e.client}, which has no outstanding request`);
          clients = updateAt(clients, e.client, { ...c, waiting: false });
          history = [...history, { kind: 'return', client: e.client, result: e.result, node: id }];
          break;
        }
        default: {
          const never: never = e;
          throw new Error(`unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
    const slot: NodeSlot<S, D> =
      result.state === old.state && timers === old.timers && durable === old.durable
        ? old
        : { state: result.state, durable, timers };
    // Built field by field (no spread), in the order of `initial`, so states keep one shape.
    return {
      nodes: slot === old ? sys.nodes : updateAt(sys.nodes, i, slot),
      network,
      clients,
      history,
      faults: sys.faults,
      partition: sys.partition,
    };
  }

  /** Adds a message: in a sorted multiset (unordered), or at the end of its channel (fifo,
   * where the network array keeps channels grouped and ordered by (from, to)). */
  private enqueue(network: readonly Envelope<M>[], env: Envelope<M>): readonly Envelope<M>[] {
    if (this.semantics !== 'fifo') {
      // The multiset is sorted, so an equal envelope, if any, is among those not after `env`.
      let lo = 0;
      for (; lo < network.length; lo++) {
        const c = compareEnvelopes(network[lo], env);
        if (c > 0) break;
        if (c === 0 && this.semantics === 'set') return network;
      }
      return insertAt(network, lo, env);
    }
    let at = 0;
    while (at < network.length && channelOrder(network[at], env) <= 0) at++;
    return insertAt(network, at, env);
  }

  private crossesPartition(partition: readonly NodeId[] | undefined, a: NodeId, b: NodeId): boolean {
    return partition !== undefined && partition.includes(a) !== partition.includes(b);
  }

  private actions(sys: Sys<S, M, D, Op, R>): SystemAction<M>[] {
    const out: SystemAction<M>[] = [];
    const deliverable = this.deliverable(sys);
    for (const envelope of deliverable) {
      if (sys.nodes[this.indexOf(envelope.to)].state !== undefined) out.push({ kind: 'deliver', envelope });
    }
    sys.nodes.forEach((slot, i) => {
      const internal = this.spec.nodes[i].spec.internal;
      if (slot.state === undefined || internal === undefined) return;
      for (const choice of internal(slot.state, this.ctx(i))) out.push({ kind: 'internal', node: this.ids[i], choice });
    });
    // Synchronous timeouts: pending deliveries and local steps all come before any timeout.
    const quiet = !this.synchronous || out.length === 0;
    sys.nodes.forEach((slot, i) => {
      if (slot.state === undefined || !quiet) return;
      for (const timer of slot.timers) out.push({ kind: 'timeout', node: this.ids[i], timer });
    });
    (this.spec.clients ?? []).forEach((c, client) => {
      const st = sys.clients[client];
      if (!st.waiting && st.next < c.ops.length && sys.nodes[this.indexOf(c.node)].state !== undefined) {
        out.push({ kind: 'request', client });
      }
    });
    this.faultActions(sys, deliverable, out);
    return out;
  }

  /** Messages that may be delivered next: all distinct ones (unordered) or channel heads. */
  private deliverable(sys: Sys<S, M, D, Op, R>): Envelope<M>[] {
    const out: Envelope<M>[] = [];
    for (let k = 0; k < sys.network.length; k++) {
      const env = sys.network[k];
      const prev = sys.network[k - 1];
      if (prev === undefined) {
        out.push(env);
        continue;
      }
      const same = this.semantics === 'fifo' ? channelOrder(prev, env) === 0 : compareEnvelopes(prev, env) === 0;
      if (!same) out.push(env);
    }
    return out;
  }

  private faultActions(sys: Sys<S, M, D, Op, R>, deliverable: readonly Envelope<M>[], out: SystemAction<M>[]): void {
    const f = sys.faults;
    const b = this.budget;
    if (f.drops < b.dropsMax) for (const envelope of deliverable) out.push({ kind: 'drop', envelope });
    if (f.duplicates < b.duplicatesMax && this.semantics !== 'set') {
      for (const envelope of deliverable) out.push({ kind: 'duplicate', envelope });
    }
    sys.nodes.forEach((slot, i) => {
      const id = this.ids[i];
      if (slot.state !== undefined && f.crashes < b.crashesMax && b.crashable.includes(id)) out.push({ kind: 'crash', node: id });
      if (slot.state === undefined) out.push({ kind: 'restart', node: id });
    });
    if (sys.partition !== undefined) out.push({ kind: 'heal' });
    else if (f.partitions < b.partitionsMax) {
      for (const side of twoSidedSplits(this.ids)) out.push({ kind: 'partition', side });
    }
  }

  private step(sys: Sys<S, M, D, Op, R>, a: SystemAction<M>): Sys<S, M, D, Op, R> {
    switch (a.kind) {
      case 'deliver': {
        const i = this.indexOf(a.envelope.to);
        const rest = withNodesAndNetwork(sys, sys.nodes, this.remove(sys.network, a.envelope));
        return this.handle(rest, i, { kind: 'receive', from: a.envelope.from, msg: a.envelope.msg });
      }
      case 'timeout': {
        const i = this.indexOf(a.node);
        const slot = sys.nodes[i];
        const timers = slot.timers.filter((t) => t !== a.timer);
        const disarmed = withNodesAndNetwork(sys, updateAt(sys.nodes, i, { state: slot.state, durable: slot.durable, timers }), sys.network);
        return this.handle(disarmed, i, { kind: 'timeout', timer: a.timer });
      }
      case 'internal':
        return this.handle(sys, this.indexOf(a.node), { kind: 'internal', choice: a.choice });
      case 'request':
        return this.request(sys, a.client);
      case 'drop':
        return { ...sys, network: this.remove(sys.network, a.envelope), faults: { ...sys.faults, drops: sys.faults.drops + 1 } };
      case 'duplicate':
        return { ...sys, network: this.enqueue(sys.network, a.envelope), faults: { ...sys.faults, duplicates: sys.faults.duplicates + 1 } };
      case 'crash':
        return this.crash(sys, this.indexOf(a.node));
      case 'restart': {
        const i = this.indexOf(a.node);
        const node = this.spec.nodes[i].spec;
        const durable = sys.nodes[i].durable;
        const result = node.restart ? node.restart(durable, this.ctx(i)) : node.init(this.ctx(i));
        return this.apply(sys, i, result);
      }
      case 'partition':
        return {
          ...sys,
          partition: a.side,
          network: sys.network.filter((e) => !this.crossesPartition(a.side, e.from, e.to)),
          faults: { ...sys.faults, partitions: sys.faults.partitions + 1 },
        };
      case 'heal':
        return { ...sys, partition: undefined };
      default: {
        const never: never = a;
        throw new Error(`unknown system action ${JSON.stringify(never)}`);
      }
    }
  }

  private handle(sys: Sys<S, M, D, Op, R>, i: number, input: NodeInput<M, Op>): Sys<S, M, D, Op, R> {
    const state = sys.nodes[i].state;
    if (state === undefined) throw new Error(`${this.ids[i]} is crashed and cannot handle ${input.kind}`);
    return this.apply(sys, i, this.spec.nodes[i].spec.handle(state, input, this.ctx(i)));
  }

  private request(sys: Sys<S, M, D, Op, R>, client: number): Sys<S, M, D, Op, R> {
    const script = this.spec.clients![client];
    const op = script.ops[sys.clients[client].next];
    const i = this.indexOf(script.node);
    const invoked: Sys<S, M, D, Op, R> = {
      ...sys,
      clients: updateAt(sys.clients, client, { next: sys.clients[client].next + 1, waiting: true }),
      history: [...sys.history, { kind: 'invoke', client, op, node: script.node }],
    };
    return this.handle(invoked, i, { kind: 'request', client, op });
  }

  /** Volatile state and timers are lost; the durable record stays. Under fifo semantics the
   * node's connections break, so its channels (both directions) are emptied. */
  private crash(sys: Sys<S, M, D, Op, R>, i: number): Sys<S, M, D, Op, R> {
    const id = this.ids[i];
    const network = this.semantics === 'fifo' ? sys.network.filter((e) => e.from !== id && e.to !== id) : sys.network;
    return {
      ...sys,
      nodes: updateAt(sys.nodes, i, { state: undefined, durable: sys.nodes[i].durable, timers: [] }),
      network,
      faults: { ...sys.faults, crashes: sys.faults.crashes + 1 },
    };
  }

  /** Removes one copy: the first equal envelope (unordered) or the head of its channel (fifo). */
  private remove(network: readonly Envelope<M>[], env: Envelope<M>): readonly Envelope<M>[] {
    let k = 0;
    if (this.semantics === 'fifo') {
      while (k < network.length && channelOrder(network[k], env) !== 0) k++;
    } else {
      while (k < network.length && compareEnvelopes(network[k], env) !== 0) k++;
    }
    if (k === network.length || compareEnvelopes(network[k], env) !== 0) throw new Error(`message ${JSON.stringify(env)} is not deliverable`);
    const out: Envelope<M>[] = [];
    for (let j = 0; j < network.length; j++) if (j !== k) out.push(network[j]);
    return out;
  }

  private describe(a: SystemAction<M>): string {
    const msg = (e: Envelope<M>) => `${e.from}->${e.to} ${this.spec.describeMessage(e.msg)}`;
    switch (a.kind) {
      case 'deliver':
        return msg(a.envelope);
      case 'timeout':
        return `timeout ${a.node} ${a.timer}`;
      case 'internal':
        return `${a.node} ${a.choice}`;
      case 'request': {
        const c = this.spec.clients![a.client];
        return `client${a.client}->${c.node} request`;
      }
      case 'drop':
        return `drop ${msg(a.envelope)}`;
      case 'duplicate':
        return `duplicate ${msg(a.envelope)}`;
      case 'crash':
        return `crash ${a.node}`;
      case 'restart':
        return `restart ${a.node}`;
      case 'partition':
        return `partition {${a.side.join(',')}} | {${this.ids.filter((x) => !a.side.includes(x)).join(',')}}`;
      case 'heal':
        return 'heal partition';
    }
  }
}

/** `sys` with its nodes and network replaced, built field by field (a spread costs more, and
 * this keeps the key order of `initial`). */
function withNodesAndNetwork<S, M, D, Op, R>(
  sys: Sys<S, M, D, Op, R>,
  nodes: readonly NodeSlot<S, D>[],
  network: readonly Envelope<M>[],
): Sys<S, M, D, Op, R> {
  return { nodes, network, clients: sys.clients, history: sys.history, faults: sys.faults, partition: sys.partition };
}

/** Arms a timer: timers are a sorted list of names. */
function addTimer(timers: readonly string[], timer: string): readonly string[] {
  if (timers.includes(timer)) return timers;
  return [...timers, timer].sort();
}

/** compareValues(a, b) for two envelopes, without walking their keys: records compare by
 * their sorted keys (from < msg < to), so by from, then msg, then to. A missing msg changes
 * the key set, so that case is left to compareValues. */
function compareEnvelopes<M>(a: Envelope<M>, b: Envelope<M>): number {
  if (a === b) return 0;
  if (a.msg === undefined || b.msg === undefined) return compareValues(a, b);
  if (a.from !== b.from) return a.from < b.from ? -1 : 1;
  const c = a.msg === b.msg ? 0 : compareValues(a.msg, b.msg);
  if (c !== 0) return c;
  return a.to === b.to ? 0 : a.to < b.to ? -1 : 1;
}

/** Channels ordered by (from, to); messages within a channel keep their order. */
function channelOrder<M>(a: Envelope<M>, b: Envelope<M>): number {
  return a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0;
}

/** Every split of the nodes into two non-empty sides, each named once by the side holding the
 * first node. */
export function twoSidedSplits(ids: readonly NodeId[]): NodeId[][] {
  const out: NodeId[][] = [];
  const rest = ids.length - 1;
  for (let mask = 0; mask < (1 << rest) - 1; mask++) {
    const side = [ids[0]];
    for (let k = 0; k < rest; k++) if (mask & (1 << k)) side.push(ids[k + 1]);
    out.push(side);
  }
  return out;
}
