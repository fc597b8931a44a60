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
// into two sides and heal. A partition loses the messages across it while it lasts; under fifo
// it holds them instead (TCP never loses a segment and goes on: it retransmits once the
// partition heals, or the connection is closed by a node that gives up, `disconnect`). Timers fire as
// nondeterministic actions while armed.
//
// Clients (optional): each runs a script of operations, one at a time, against the service.
// A request carries (client, seq); a node answers with `reply` (history `return`), `fail`
// (definitely not applied: history `fail`) or `redirect` (try the node it names; followed at
// once, not counted as a retry). A client with a `timeout` may give up waiting at any time
// (asynchronous: a timeout proves nothing), then resends the same (client, seq) to the next
// node (failover), at most `retriesMax` times;
// after that the operation's outcome is unknown (history `info`) and the client moves on.
// Client links are reliable and instantaneous; a lost request or reply is a node that never
// answers, which the client's timeout covers.
//
// Abstract time (optional, `time`): every node has a clock, an integer that `tick` actions
// advance up to `timeMax`; with `skewMax` > 0 nodes tick one at a time and any two clocks
// differ by at most `skewMax` at every instant (bounded skew; a bounded drift rate over a
// bounded run gives such a bound, but the margin a protocol needs then grows with the lease or
// timeout length, which this model does not express); with 0 one `tick` advances every clock.
// A handler reads its node's clock as `ctx.now`; a timer set `at` a clock value fires only once
// the node's clock has reached it (a reached deadline is forgotten: exact, clocks never go
// back). Time is a budget like crashesMax: deadlines beyond `timeMax` are never reached, so a
// result covers the runs that last at most `timeMax` ticks, and a state where every clock is at
// `timeMax` is final (time ran out; not a deadlock).

import type { ClientLanes, ClientMessage, Invariant, Model, StepInvariant, Witness } from './model.ts';
import { InputError } from './model.ts';
import { canonicalJson, compareValues, insertAt, updateAt } from './data.ts';

export type NodeId = string;

export type NodeInput<M, Op> =
  | { readonly kind: 'receive'; readonly from: NodeId; readonly msg: M }
  | { readonly kind: 'timeout'; readonly timer: string }
  /** A local choice the node may make on its own (vote yes / vote no), named by `internal`. */
  | { readonly kind: 'internal'; readonly choice: string }
  /** A client's operation; `seq` numbers the client's operations from 0, and a retry of the
   * same operation carries the same seq (exactly-once servers key their client table on it). */
  | { readonly kind: 'request'; readonly client: number; readonly seq: number; readonly op: Op };

/** What a handler asks for, applied in order after the step. */
export type Effect<M, D, R> =
  | { readonly kind: 'send'; readonly to: NodeId; readonly msg: M }
  /** Arms a timer; with `at` (systems with `time` only) it fires once the node's clock has
   * reached that value. Setting an armed timer again replaces its deadline. */
  | { readonly kind: 'set-timer'; readonly timer: string; readonly at?: number }
  | { readonly kind: 'cancel-timer'; readonly timer: string }
  /** Replace the node's durable record (survives crashes). */
  | { readonly kind: 'persist'; readonly data: D }
  /** Answers the client's outstanding request. With `seq`, an answer to any other request of
   * the client (an earlier attempt's late answer) is ignored; without it, the client must
   * have a request outstanding. */
  | { readonly kind: 'reply'; readonly client: number; readonly result: R; readonly seq?: number }
  /** The request definitely did not take effect and never will (history `fail`). */
  | { readonly kind: 'fail'; readonly client: number; readonly seq?: number }
  /** "Not me, ask `to`" (a follower naming its leader); without `to`, the client fails over to
   * the next node. The client resends at once; a redirect is not one of its retries. */
  | { readonly kind: 'redirect'; readonly client: number; readonly seq?: number; readonly to?: NodeId }
  /** Closes the node's connection with `peer` (a TCP connection torn down): the messages in
   * flight between the two, both ways, are lost. The peer is not told; it finds out by its own
   * timeout, or by the next message on a new connection. Under fifo semantics this is what
   * keeps one connection's late packets from arriving on the next one. */
  | { readonly kind: 'disconnect'; readonly peer: NodeId }
  /** Appends an event to the system's history: for clients that are nodes themselves (a
   * ZooKeeper client library with its session), which record their own invocations and
   * answers. Their `client` numbers must not be those of the system's client scripts. */
  | { readonly kind: 'record'; readonly event: HistoryEvent<unknown, R> };

export interface HandlerResult<S, M, D, R> {
  readonly state: S;
  readonly effects?: readonly Effect<M, D, R>[];
}

export interface NodeContext {
  readonly id: NodeId;
  /** Every node of the system, in the system's order. */
  readonly nodes: readonly NodeId[];
  /** The node's clock, in systems with `time` (absent otherwise). */
  readonly now?: number;
}

/** The size of a majority of the system's nodes: any two majorities share a node. */
export function majority(ctx: NodeContext): number {
  return Math.floor(ctx.nodes.length / 2) + 1;
}

/** The node's clock, for handlers of systems with `time` (an assertion: a timed protocol run
 * without time is a mistake in the model, not a protocol outcome). */
export function clockOf(ctx: NodeContext): number {
  if (ctx.now === undefined) throw new Error(`${ctx.id} has no clock: this protocol needs a system with time`);
  return ctx.now;
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
  /** The node the client sends its first request to. */
  readonly node: NodeId;
  /** Operations issued one at a time: the next only after the previous returned, failed or
   * was given up. */
  readonly ops: readonly Op[];
  /** Absent: the client waits for its answer forever (and only sends to a running node).
   * Present: it may time out while waiting and resend to the next node, `retriesMax` times. */
  readonly timeout?: { readonly retriesMax: number };
}

/** A client operation's events as recorded in the system's history (src/history reads them):
 * invoke; then return (with its result), fail (not applied) or info (unknown, still pending). */
export type HistoryEvent<Op, R> =
  | { readonly kind: 'invoke'; readonly client: number; readonly op: Op; readonly node: NodeId }
  | { readonly kind: 'return'; readonly client: number; readonly result: R; readonly node: NodeId }
  | { readonly kind: 'fail'; readonly client: number; readonly node: NodeId }
  | { readonly kind: 'info'; readonly client: number; readonly node: NodeId };

/** A client: `idle` with no operation outstanding; `waiting` for the answer to its request at
 * `node`; `resend` when its operation must go (again) to `node` (after a timeout or redirect).
 * `next` counts the operations invoked (the outstanding one has seq `next - 1`); `retries`
 * counts the timeouts of the outstanding operation that led to a resend. */
export interface ClientSlot {
  readonly next: number;
  readonly status: 'idle' | 'waiting' | 'resend';
  readonly node: NodeId;
  readonly retries: number;
}

export interface NodeSlot<S, D> {
  /** Undefined while the node is crashed. */
  readonly state: S | undefined;
  readonly durable: D | undefined;
  /** Armed timers, sorted. */
  readonly timers: readonly string[];
  /** In systems with `time`: the deadlines of the armed timers that have one, sorted by timer. */
  readonly alarms?: readonly Alarm[];
}

export interface Alarm {
  readonly timer: string;
  readonly at: number;
}

export interface SystemState<S, M, D, Op, R> {
  readonly nodes: readonly NodeSlot<S, D>[];
  /** unordered: a sorted multiset of envelopes; fifo: channels in sorted order, each a queue. */
  readonly network: readonly Envelope<M>[];
  readonly clients: readonly ClientSlot[];
  readonly history: readonly HistoryEvent<Op, R>[];
  /** Faults spent; `timeouts` (present only with a timerBudget) counts the budgeted timers'
   * firings. */
  readonly faults: { readonly drops: number; readonly duplicates: number; readonly crashes: number; readonly partitions: number; readonly timeouts?: number };
  /** While partitioned: the node ids on one side (containing the first node), else undefined. */
  readonly partition: readonly NodeId[] | undefined;
  /** In systems with `time`: each node's clock, in node order. */
  readonly clocks?: readonly number[];
}

export type SystemAction<M> =
  | { readonly kind: 'deliver'; readonly envelope: Envelope<M> }
  | { readonly kind: 'timeout'; readonly node: NodeId; readonly timer: string }
  | { readonly kind: 'internal'; readonly node: NodeId; readonly choice: string }
  /** A step of a sub-protocol the model abstracts away (see ActorSystemSpec.oracle), drawn on
   * `node`'s lane. */
  | { readonly kind: 'oracle'; readonly node: NodeId; readonly name: string; readonly inputs: readonly OracleInput[] }
  /** A client sends its next operation, or resends (`retry`) its outstanding one, to `to`. */
  | { readonly kind: 'request'; readonly client: number; readonly to: NodeId; readonly op: unknown; readonly retry: boolean }
  | { readonly kind: 'client-timeout'; readonly client: number }
  /** Time passes: every clock (no skew), or one node's clock. */
  | { readonly kind: 'tick'; readonly node?: NodeId }
  | { readonly kind: 'drop'; readonly envelope: Envelope<M> }
  | { readonly kind: 'duplicate'; readonly envelope: Envelope<M> }
  | { readonly kind: 'crash'; readonly node: NodeId }
  | { readonly kind: 'restart'; readonly node: NodeId }
  | { readonly kind: 'partition'; readonly side: readonly NodeId[] }
  | { readonly kind: 'heal' };

/** One node's part in an oracle step: the local choice it is handed. */
export interface OracleInput {
  readonly node: NodeId;
  readonly choice: string;
}

/** An oracle step: a name in protocol words (`elect n3 by n1,n3`), the lane it is drawn on, and
 * the local choices it hands to running nodes, applied in order in one atomic step. */
export interface OracleStep {
  readonly node: NodeId;
  readonly name: string;
  readonly inputs: readonly OracleInput[];
}

export const FAULT_KINDS: ReadonlySet<SystemAction<unknown>['kind']> = new Set([
  'drop', 'duplicate', 'crash', 'restart', 'partition', 'heal',
]);

type Fairness = ActorSystemSpec<unknown, unknown, unknown, unknown, unknown>['fairness'];

function isFairAction(a: SystemAction<unknown>, fairness: Fairness): boolean {
  switch (a.kind) {
    case 'deliver':
    case 'internal':
    case 'oracle':
      return true;
    case 'timeout': {
      const timers = fairness?.timers;
      return timers === 'all' || (timers !== undefined && timers.includes(a.timer));
    }
    case 'request':
    case 'client-timeout':
      return fairness?.requests === true;
    case 'tick':
      return true;
    case 'restart':
    case 'heal':
      return fairness?.recovery === true;
    default:
      return false;
  }
}

/** Faults are what liveness assumes eventually stops; with declared recovery, a restart and a
 * heal are not faults but fair actions (every crashed node restarts, every partition heals). */
function isFaultAction(a: SystemAction<unknown>, fairness: Fairness): boolean {
  if (fairness?.recovery === true && (a.kind === 'restart' || a.kind === 'heal')) return false;
  return FAULT_KINDS.has(a.kind);
}

function describeFairness(fairness: Fairness, hasTime: boolean, hasClientTimeouts: boolean): string {
  const requests = hasClientTimeouts ? 'client requests and timeouts' : 'client requests';
  const timers = fairness?.timers;
  const fairTimers = timers === 'all' ? 'every timer' : timers !== undefined && timers.length > 0 ? `the timers ${timers.join(', ')}` : undefined;
  const fair = ['message delivery', 'local choices', ...(hasTime ? ['clock ticks'] : []), ...(fairness?.recovery ? ['restarts and heals'] : []), ...(fairTimers ? [fairTimers] : []), ...(fairness?.requests ? [requests] : [])];
  const unfair = [...(fairTimers === 'every timer' ? [] : [fairTimers ? 'other timers' : 'timers']), ...(fairness?.requests ? [] : [requests])];
  const never = unfair.length === 0 ? '' : `; ${unfair.join(' and ')} may never happen`;
  return `weak fairness of ${fair.join(', ')}${never}; faults eventually stop`;
}

export interface ActorSystemSpec<S, M, D, Op, R> {
  readonly nodes: readonly { readonly id: NodeId; readonly spec: NodeSpec<S, M, D, Op, R> }[];
  readonly network?: NetworkSemantics;
  readonly timeouts?: TimeoutSemantics;
  readonly faults?: FaultBudget;
  readonly clients?: readonly ClientScript<Op>[];
  /** Steps of a sub-protocol abstracted away, as TLA+ specifications use a leader oracle: in
   * each state, the steps it offers (each hands local choices to several running nodes at
   * once, atomically). What the sub-protocol could do that the oracle does not offer is not
   * checked; the model's comment must say what the oracle stands for. */
  readonly oracle?: (state: SystemState<S, M, D, Op, R>) => readonly OracleStep[];
  /** A budget on the firings of the named timers over a run, like crashesMax: an environment
   * bound (it restricts when those timers fire, never what a handler does). Asynchronous
   * timeouts that may fire at any time (a follower giving up on its leader) would otherwise
   * make the state space unbounded. */
  readonly timerBudget?: { readonly timers: readonly string[]; readonly timeoutsMax: number };
  /** Abstract time: clocks up to `timeMax`, any two at most `skewMax` apart (default 0). */
  readonly time?: { readonly timeMax: number; readonly skewMax?: number };
  readonly invariants: readonly Invariant<SystemState<S, M, D, Op, R>>[];
  /** Properties of every step (Model.stepInvariants). */
  readonly stepInvariants?: readonly StepInvariant<SystemState<S, M, D, Op, R>, SystemAction<M>>[];
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
   * `requests`; with `recovery`, restarts and heals are fair and no longer faults (a crashed
   * node restarts, a partition heals; crashes and partitions still eventually stop). A state
   * where the goal does not hold and only faults and unfair actions are enabled is reported as
   * stuck. */
  readonly fairness?: { readonly timers?: 'all' | readonly string[]; readonly requests?: boolean; readonly recovery?: boolean };
  /** Message in protocol words: `Prepare b=3`. */
  readonly describeMessage: (msg: M) => string;
  /** A client operation in words (`write(1)`), for request labels; defaults to its text. */
  readonly describeOp?: (op: Op) => string;
  /** A result in words (`ok`, `1`), for reply arrows in charts; defaults to its text. */
  readonly describeResult?: (result: R) => string;
}

export type ActorModel<S, M, D, Op, R> = Model<SystemState<S, M, D, Op, R>, SystemAction<M>> & {
  /** Whether an action is a fault (drop, duplicate, crash, restart, partition, heal). */
  isFault(action: SystemAction<M>): boolean;
  /** Message delivery and local choices are weakly fair; timeouts and client requests are not. */
  isFair(action: SystemAction<M>): boolean;
  readonly nodeIds: readonly NodeId[];
  readonly clientLanes: ClientLanes<SystemState<S, M, D, Op, R>, SystemAction<M>>;
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
  private readonly scripts: readonly ClientScript<Op>[];
  private readonly time: { readonly timeMax: number; readonly skewMax: number } | undefined;

  constructor(private readonly spec: ActorSystemSpec<S, M, D, Op, R>) {
    this.ids = spec.nodes.map((n) => n.id);
    if (new Set(this.ids).size !== this.ids.length) throw new InputError(`node ids must be distinct: ${this.ids.join(', ')}`);
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
      if (typeof v === 'number') nonNegativeInteger(name, v);
    }
    this.scripts = spec.clients ?? [];
    this.scripts.forEach((c, k) => {
      if (c.client !== k) throw new InputError(`client ${k} is numbered ${c.client}: clients are numbered 0, 1, ... in order`);
      this.lookup(c.node, `client ${k}'s first node`);
      if (c.timeout !== undefined) nonNegativeInteger(`client ${k}'s retriesMax`, c.timeout.retriesMax);
    });
    if (spec.timerBudget !== undefined) nonNegativeInteger('timeoutsMax', spec.timerBudget.timeoutsMax);
    if (spec.time !== undefined) {
      this.time = { timeMax: spec.time.timeMax, skewMax: spec.time.skewMax ?? 0 };
      nonNegativeInteger('timeMax', this.time.timeMax);
      nonNegativeInteger('skewMax', this.time.skewMax);
    }
  }

  model(): ActorModel<S, M, D, Op, R> {
    const spec = this.spec;
    return {
      init: [this.initial()],
      actions: (s) => this.actions(s),
      step: (s, a) => this.step(s, a),
      invariants: spec.invariants,
      ...(spec.stepInvariants === undefined ? {} : { stepInvariants: spec.stepInvariants }),
      sometimes: spec.sometimes,
      describe: (a) => this.describe(a),
      isFinal: this.isFinal(),
      isFault: (a) => isFaultAction(a, spec.fairness),
      isFair: (a) => isFairAction(a, spec.fairness),
      fairness: describeFairness(spec.fairness, this.time !== undefined, this.scripts.some((c) => c.timeout !== undefined)),
      ...(spec.goal === undefined ? {} : { goal: spec.goal }),
      nodeIds: this.ids,
      clientLanes: { ids: this.scripts.map((c) => `client${c.client}`), messages: (b, a, s) => this.clientMessages(b, a, s) },
    };
  }

  /** Where a run may end: the model's isFinal (default its goal), or, with time, once every
   * clock has reached timeMax: time has run out, so what is left is the bound, not a deadlock. */
  private isFinal(): ((s: Sys<S, M, D, Op, R>) => boolean) | undefined {
    const own = this.spec.isFinal ?? this.spec.goal;
    const time = this.time;
    if (time === undefined) return own;
    const outOfTime = (s: Sys<S, M, D, Op, R>) => s.clocks!.every((c) => c >= time.timeMax);
    return own === undefined ? outOfTime : (s) => own(s) || outOfTime(s);
  }

  private ctx(i: number, sys: Sys<S, M, D, Op, R>): NodeContext {
    return sys.clocks === undefined ? { id: this.ids[i], nodes: this.ids } : { id: this.ids[i], nodes: this.ids, now: sys.clocks[i] };
  }

  private indexOf(id: NodeId): number {
    const i = this.ids.indexOf(id);
    if (i < 0) throw new Error(`unknown node '${id}' (nodes: ${this.ids.join(', ')})`);
    return i;
  }

  /** indexOf for names given by the model's author: a wrong one is bad input, one line. */
  private lookup(id: NodeId, what: string): number {
    const i = this.ids.indexOf(id);
    if (i < 0) throw new InputError(`${what} is '${id}', which is not a node (nodes: ${this.ids.join(', ')})`);
    return i;
  }

  private initial(): Sys<S, M, D, Op, R> {
    const timed = this.time !== undefined;
    let sys: Sys<S, M, D, Op, R> = withParts(
      {
        nodes: [],
        network: [],
        clients: [],
        history: [],
        faults: this.spec.timerBudget === undefined ? { drops: 0, duplicates: 0, crashes: 0, partitions: 0 } : { drops: 0, duplicates: 0, crashes: 0, partitions: 0, timeouts: 0 },
        partition: undefined,
        ...(timed ? { clocks: this.ids.map(() => 0) } : {}),
      },
      this.ids.map(() => nodeSlot<S, D>(undefined, undefined, [], timed ? [] : undefined)),
      [],
      this.scripts.map((c) => ({ next: 0, status: 'idle', node: c.node, retries: 0 })),
      [],
    );
    this.spec.nodes.forEach((n, i) => {
      const result = n.spec.init(this.ctx(i, sys));
      for (const e of result.effects ?? []) {
        if (e.kind === 'send') this.lookup(e.to, `a message ${this.ids[i]} sends in init (${this.spec.describeMessage(e.msg)}) goes to a node that`);
      }
      sys = this.apply(sys, i, result);
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
    let alarms = old.alarms;
    let durable = old.durable;
    let network = sys.network;
    let history = sys.history;
    let clients = sys.clients;
    const id = this.ids[i];
    for (const e of effects) {
      switch (e.kind) {
        case 'send':
          this.indexOf(e.to);
          if (this.semantics === 'fifo' || !this.crossesPartition(sys.partition, id, e.to)) network = this.enqueue(network, { from: id, to: e.to, msg: e.msg });
          break;
        case 'set-timer':
          timers = addTimer(timers, e.timer);
          if (e.at !== undefined && alarms === undefined) throw new Error(`${id} set timer ${e.timer} at ${e.at}, but the system has no time`);
          // A deadline already reached is not kept (see tick).
          if (alarms !== undefined) alarms = setAlarm(alarms, e.timer, e.at !== undefined && e.at > sys.clocks![i] ? e.at : undefined);
          break;
        case 'cancel-timer':
          if (timers.includes(e.timer)) timers = timers.filter((t) => t !== e.timer);
          if (alarms !== undefined) alarms = setAlarm(alarms, e.timer, undefined);
          break;
        case 'persist':
          durable = e.data;
          break;
        case 'disconnect':
          this.indexOf(e.peer);
          network = network.filter((env) => !((env.from === id && env.to === e.peer) || (env.from === e.peer && env.to === id)));
          break;
        case 'record':
          if (e.event.client < this.scripts.length) throw new Error(`${id} records an event of client ${e.event.client}, which is one of the system's scripted clients`);
          history = [...history, e.event as HistoryEvent<Op, R>];
          break;
        case 'reply':
        case 'fail':
        case 'redirect': {
          const answered = this.answer(clients, history, id, e);
          clients = answered.clients;
          history = answered.history;
          break;
        }
        default: {
          const never: never = e;
          throw new Error(`unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
    const slot: NodeSlot<S, D> =
      result.state === old.state && timers === old.timers && durable === old.durable && alarms === old.alarms
        ? old
        : nodeSlot(result.state, durable, timers, alarms);
    return withParts(sys, slot === old ? sys.nodes : updateAt(sys.nodes, i, slot), network, clients, history);
  }

  /** A node's answer to a client: accepted if it answers the client's outstanding operation
   * (any attempt of it), ignored if `seq` names another. */
  private answer(
    clients: readonly ClientSlot[],
    history: readonly HistoryEvent<Op, R>[],
    node: NodeId,
    e: Extract<Effect<M, D, R>, { kind: 'reply' | 'fail' | 'redirect' }>,
  ): { clients: readonly ClientSlot[]; history: readonly HistoryEvent<Op, R>[] } {
    const c = clients[e.client];
    if (c === undefined) throw new Error(`${node} answered client ${e.client}, which does not exist`);
    const outstanding = c.status !== 'idle';
    if (e.seq === undefined ? !outstanding : !outstanding || e.seq !== c.next - 1) {
      if (e.seq !== undefined) return { clients, history };
      throw new Error(`${node} answered client ${e.client}, which has no outstanding request`);
    }
    const client = e.client;
    switch (e.kind) {
      case 'reply':
        return { clients: updateAt(clients, client, { ...c, status: 'idle' }), history: [...history, { kind: 'return', client, result: e.result, node }] };
      case 'fail':
        return { clients: updateAt(clients, client, { ...c, status: 'idle' }), history: [...history, { kind: 'fail', client, node }] };
      case 'redirect': {
        // Followed at once, and not a retry: the request was refused, not lost.
        if (c.status === 'resend') return { clients, history };
        const to = e.to === undefined ? this.nextNode(node) : (this.indexOf(e.to), e.to);
        return { clients: updateAt(clients, client, { ...c, status: 'resend', node: to }), history };
      }
    }
  }

  /** After a timeout: resend to `to` if retries remain (counting this one), else record the
   * outcome as unknown (`info`) and move on to the next operation. */
  private retryOrGiveUp(
    clients: readonly ClientSlot[],
    history: readonly HistoryEvent<Op, R>[],
    client: number,
    to: NodeId,
  ): { clients: readonly ClientSlot[]; history: readonly HistoryEvent<Op, R>[] } {
    const c = clients[client];
    const retriesMax = this.scripts[client].timeout?.retriesMax ?? 0;
    if (c.retries < retriesMax) return { clients: updateAt(clients, client, { ...c, status: 'resend', node: to, retries: c.retries + 1 }), history };
    return {
      clients: updateAt(clients, client, { next: c.next, status: 'idle', node: to, retries: 0 }),
      history: [...history, { kind: 'info', client, node: c.node }],
    };
  }

  private nextNode(id: NodeId): NodeId {
    return this.ids[(this.indexOf(id) + 1) % this.ids.length];
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
    const deliverable = this.deliverable(sys).filter((e) => this.semantics !== 'fifo' || !this.crossesPartition(sys.partition, e.from, e.to));
    for (const envelope of deliverable) {
      if (sys.nodes[this.indexOf(envelope.to)].state !== undefined) out.push({ kind: 'deliver', envelope });
    }
    sys.nodes.forEach((slot, i) => {
      const internal = this.spec.nodes[i].spec.internal;
      if (slot.state === undefined || internal === undefined) return;
      for (const choice of internal(slot.state, this.ctx(i, sys))) out.push({ kind: 'internal', node: this.ids[i], choice });
    });
    for (const o of this.spec.oracle?.(sys) ?? []) {
      for (const input of o.inputs) if (sys.nodes[this.indexOf(input.node)].state === undefined) throw new Error(`oracle step '${o.name}' hands a choice to ${input.node}, which is crashed`);
      out.push({ kind: 'oracle', node: o.node, name: o.name, inputs: o.inputs });
    }
    // Synchronous timeouts: pending deliveries and local steps all come before any timeout.
    const quiet = !this.synchronous || out.length === 0;
    sys.nodes.forEach((slot, i) => {
      if (slot.state === undefined || !quiet) return;
      for (const timer of slot.timers) {
        if (this.due(sys, i, slot, timer) && this.withinBudget(sys, timer)) out.push({ kind: 'timeout', node: this.ids[i], timer });
      }
    });
    this.clientActions(sys, out);
    this.tickActions(sys, out);
    this.faultActions(sys, deliverable, out);
    return out;
  }

  private budgeted(timer: string): boolean {
    return this.spec.timerBudget !== undefined && this.spec.timerBudget.timers.includes(timer);
  }

  private withinBudget(sys: Sys<S, M, D, Op, R>, timer: string): boolean {
    return !this.budgeted(timer) || (sys.faults.timeouts ?? 0) < this.spec.timerBudget!.timeoutsMax;
  }

  /** Whether an armed timer may fire: always, unless it has a deadline the clock has not reached. */
  private due(sys: Sys<S, M, D, Op, R>, i: number, slot: NodeSlot<S, D>, timer: string): boolean {
    const alarm = slot.alarms?.find((a) => a.timer === timer);
    return alarm === undefined || sys.clocks![i] >= alarm.at;
  }

  private clientActions(sys: Sys<S, M, D, Op, R>, out: SystemAction<M>[]): void {
    this.scripts.forEach((script, client) => {
      const c = sys.clients[client];
      const up = sys.nodes[this.indexOf(c.node)].state !== undefined;
      // A client without a timeout would wait forever on a crashed node: it sends only to a
      // running one. With a timeout, a request to a crashed node is lost and times out.
      const reachable = up || script.timeout !== undefined;
      if (c.status === 'idle' && c.next < script.ops.length && reachable) {
        out.push({ kind: 'request', client, to: c.node, op: script.ops[c.next], retry: false });
      }
      if (c.status === 'resend' && reachable) out.push({ kind: 'request', client, to: c.node, op: script.ops[c.next - 1], retry: true });
      if (c.status === 'waiting' && script.timeout !== undefined) out.push({ kind: 'client-timeout', client });
    });
  }

  private tickActions(sys: Sys<S, M, D, Op, R>, out: SystemAction<M>[]): void {
    const clocks = sys.clocks;
    if (this.time === undefined || clocks === undefined) return;
    const { timeMax, skewMax } = this.time;
    if (skewMax === 0) {
      if (clocks[0] < timeMax) out.push({ kind: 'tick' });
      return;
    }
    const slowest = Math.min(...clocks);
    clocks.forEach((c, i) => {
      if (c < timeMax && c + 1 - slowest <= skewMax) out.push({ kind: 'tick', node: this.ids[i] });
    });
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
        const rest = withParts(sys, sys.nodes, this.remove(sys.network, a.envelope), sys.clients, sys.history);
        return this.handle(rest, i, { kind: 'receive', from: a.envelope.from, msg: a.envelope.msg });
      }
      case 'timeout': {
        const i = this.indexOf(a.node);
        const slot = sys.nodes[i];
        const timers = slot.timers.filter((t) => t !== a.timer);
        const alarms = slot.alarms === undefined ? undefined : setAlarm(slot.alarms, a.timer, undefined);
        const spent = this.budgeted(a.timer) ? { ...sys, faults: { ...sys.faults, timeouts: (sys.faults.timeouts ?? 0) + 1 } } : sys;
        const disarmed = withParts(spent, updateAt(sys.nodes, i, nodeSlot(slot.state, slot.durable, timers, alarms)), sys.network, sys.clients, sys.history);
        return this.handle(disarmed, i, { kind: 'timeout', timer: a.timer });
      }
      case 'internal':
        return this.handle(sys, this.indexOf(a.node), { kind: 'internal', choice: a.choice });
      case 'oracle':
        return a.inputs.reduce((acc, input) => this.handle(acc, this.indexOf(input.node), { kind: 'internal', choice: input.choice }), sys);
      case 'request':
        return this.request(sys, a.client);
      case 'client-timeout': {
        const c = sys.clients[a.client];
        const { clients, history } = this.retryOrGiveUp(sys.clients, sys.history, a.client, this.nextNode(c.node));
        return withParts(sys, sys.nodes, sys.network, clients, history);
      }
      case 'tick':
        return this.tick(sys, a.node);
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
        const result = node.restart ? node.restart(durable, this.ctx(i, sys)) : node.init(this.ctx(i, sys));
        return this.apply(sys, i, result);
      }
      case 'partition':
        return {
          ...sys,
          partition: a.side,
          // fifo (TCP): what crosses the partition is held, not lost, and retransmitted once it
          // heals; a node that gives up on the connection closes it (disconnect).
          network: this.semantics === 'fifo' ? sys.network : sys.network.filter((e) => !this.crossesPartition(a.side, e.from, e.to)),
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
    return this.apply(sys, i, this.spec.nodes[i].spec.handle(state, input, this.ctx(i, sys)));
  }

  /** The client sends its next operation (recorded as invoked), or resends its outstanding
   * one with the same seq. A request to a crashed node is lost. */
  private request(sys: Sys<S, M, D, Op, R>, client: number): Sys<S, M, D, Op, R> {
    const c = sys.clients[client];
    const resend = c.status === 'resend';
    const seq = resend ? c.next - 1 : c.next;
    const op = this.scripts[client].ops[seq];
    const sent: ClientSlot = { next: seq + 1, status: 'waiting', node: c.node, retries: resend ? c.retries : 0 };
    const history = resend ? sys.history : [...sys.history, { kind: 'invoke' as const, client, op, node: c.node }];
    const invoked = withParts(sys, sys.nodes, sys.network, updateAt(sys.clients, client, sent), history);
    const i = this.indexOf(c.node);
    if (invoked.nodes[i].state === undefined) return invoked;
    return this.handle(invoked, i, { kind: 'request', client, seq, op });
  }

  /** Advances one clock (or all), and forgets the deadlines now reached: a due timer behaves
   * like a plain armed one from then on (clocks never go back), so keeping its deadline would
   * only split one behaviour into several states. */
  private tick(sys: Sys<S, M, D, Op, R>, node: NodeId | undefined): Sys<S, M, D, Op, R> {
    const clocks = sys.clocks!.map((c, i) => (node === undefined || this.ids[i] === node ? c + 1 : c));
    const nodes = sys.nodes.map((slot, i) => {
      const alarms = slot.alarms;
      if (alarms === undefined || !alarms.some((x) => x.at <= clocks[i])) return slot;
      return nodeSlot(slot.state, slot.durable, slot.timers, alarms.filter((x) => x.at > clocks[i]));
    });
    return { ...sys, nodes, clocks };
  }

  /** Volatile state and timers are lost; the durable record stays. Under fifo semantics the
   * node's connections break, so its channels (both directions) are emptied. */
  private crash(sys: Sys<S, M, D, Op, R>, i: number): Sys<S, M, D, Op, R> {
    const id = this.ids[i];
    const network = this.semantics === 'fifo' ? sys.network.filter((e) => e.from !== id && e.to !== id) : sys.network;
    const slot = sys.nodes[i];
    return {
      ...sys,
      nodes: updateAt(sys.nodes, i, nodeSlot<S, D>(undefined, slot.durable, [], slot.alarms === undefined ? undefined : [])),
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

  private describeOp(op: Op): string {
    return this.spec.describeOp ? this.spec.describeOp(op) : plainText(op);
  }

  private describeResult(result: R): string {
    return this.spec.describeResult ? this.spec.describeResult(result) : plainText(result);
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
      case 'oracle':
        return a.name;
      case 'request':
        return `client${a.client}->${a.to} ${a.retry ? 'retry ' : ''}${this.describeOp(a.op as Op)}`;
      case 'client-timeout':
        return `client${a.client} timeout`;
      case 'tick':
        return a.node === undefined ? 'tick' : `tick ${a.node}`;
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

  /** The client lanes' view of a step (Model.clientLanes): requests first, then answers. */
  private clientMessages(before: Sys<S, M, D, Op, R>, a: SystemAction<M>, after: Sys<S, M, D, Op, R>): ClientMessage[] {
    const requests: ClientMessage[] = [];
    const answers: ClientMessage[] = [];
    for (const e of after.history.slice(before.history.length)) {
      // Events a node recorded itself (a client that is a node) are drawn on its own lane.
      if (e.client >= this.scripts.length) continue;
      const client = `client${e.client}`;
      if (e.kind === 'invoke') requests.push({ client, node: e.node, direction: 'request', text: this.describeOp(e.op) });
      if (e.kind === 'return') answers.push({ client, node: e.node, direction: 'answer', text: this.describeResult(e.result) });
      if (e.kind === 'fail') answers.push({ client, node: e.node, direction: 'answer', text: 'fail' });
    }
    after.clients.forEach((c, k) => {
      const was = before.clients[k];
      if (a.kind === 'request' && a.retry && a.client === k) {
        requests.push({ client: `client${k}`, node: a.to, direction: 'request', text: `retry ${this.describeOp(a.op as Op)}` });
      }
      if (c.status === 'resend' && was.status !== 'resend' && a.kind !== 'client-timeout') {
        answers.push({ client: `client${k}`, node: was.node, direction: 'answer', text: `redirect ${c.node}` });
      }
    });
    return [...requests, ...answers];
  }
}

/** `sys` with its nodes, network, clients and history replaced, built field by field (a spread
 * costs more) in one key order, so every state of a system has one shape. */
function withParts<S, M, D, Op, R>(
  sys: Sys<S, M, D, Op, R>,
  nodes: readonly NodeSlot<S, D>[],
  network: readonly Envelope<M>[],
  clients: readonly ClientSlot[],
  history: readonly HistoryEvent<Op, R>[],
): Sys<S, M, D, Op, R> {
  return sys.clocks === undefined
    ? { nodes, network, clients, history, faults: sys.faults, partition: sys.partition }
    : { nodes, network, clients, history, faults: sys.faults, partition: sys.partition, clocks: sys.clocks };
}

function nodeSlot<S, D>(state: S | undefined, durable: D | undefined, timers: readonly string[], alarms: readonly Alarm[] | undefined): NodeSlot<S, D> {
  return alarms === undefined ? { state, durable, timers } : { state, durable, timers, alarms };
}

/** Sets (at a number) or clears (undefined) a timer's deadline; alarms stay sorted by timer. */
function setAlarm(alarms: readonly Alarm[], timer: string, at: number | undefined): readonly Alarm[] {
  const rest = alarms.filter((x) => x.timer !== timer);
  if (at === undefined) return rest.length === alarms.length ? alarms : rest;
  return [...rest, { timer, at }].sort((x, y) => (x.timer < y.timer ? -1 : x.timer > y.timer ? 1 : 0));
}

/** A value in words when the model gives no describer: a string as it is, else its JSON. */
function plainText(value: unknown): string {
  return typeof value === 'string' ? value : canonicalJson(value);
}

function nonNegativeInteger(name: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 0)) throw new InputError(`${name} must be a non-negative integer, got ${v}`);
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
