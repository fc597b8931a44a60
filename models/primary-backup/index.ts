// A primary-backup register with view changes, after Viewstamped Replication (Oki & Liskov
// 1988; Liskov & Cowling, "Viewstamped Replication Revisited", MIT-CSAIL-TR-2012-021). The
// replicas are numbered; the primary of view v is replica v mod n, the others are backups.
//
// Normal operation (VRR §4.1): a client sends (client, seq, op) to the primary; the primary
// appends it to its log and sends Prepare to the backups; a backup in the same view adopts the
// log and answers PrepareOk with its length; with PrepareOks from a majority (itself included)
// the primary commits, applies in log order and replies. Reads go through the log too: a
// primary that answered reads locally could be a deposed one. A backup redirects a client to
// the primary of its view. Requests are applied exactly once by a client table (src/core/
// client-table.ts) built from the committed log, so a client that times out and retries the same
// (client, seq) at another replica is answered, not applied twice.
//
// View change (VRR §4.2): a replica that times out waiting for the primary moves to view v+1
// and sends DoViewChange(v+1, log, last normal view) to the primary of v+1; a replica that hears
// of a higher view joins it the same way. The new primary waits for DoViewChange from a majority
// (itself included), adopts the log with the highest last normal view (then the longest),
// and sends StartView with it; a replica adopting it answers PrepareOk, and the new primary
// commits the log with a majority's acks. A write acknowledged in view v is in the logs of a
// majority; every majority of DoViewChanges includes one of them, so the new log has it.
//
// Simplifications (what they may hide): messages carry whole logs, so a backup never waits
// for a missing entry (VRR's state transfer is this); commits are not sent to backups (the
// new primary recommits the adopted log and answers again: clients ignore answers to requests
// they no longer wait for); every replica writes its view, status and log to disk before it
// answers (VRR keeps them in memory and needs its recovery protocol instead: not modelled);
// views are bounded by `viewsMax`; client links are reliable and instantaneous (actors.ts), a
// lost request being a replica that never answers.
//
// The planted bug (`new-primary-skips-state-collection`): the new primary starts its view at
// once with its own log instead of collecting the others'. If it was not in the majority that
// acknowledged a write, the write is lost: a later read returns the old value, which the
// Linearizable invariant reports.

import type { ModelDefinition, Params } from '../../src/core/model.ts';
import { actorSystem, majority, type ActorModel, type Effect, type HandlerResult, type NodeContext, type NodeInput, type NodeSpec, type SystemState } from '../../src/core/actors.ts';
import { applyOnce, seen } from '../../src/core/client-table.ts';
import { linearizableHistory, registerSpec, type RegisterOp, type RegisterResult } from '../../src/history/index.ts';

export type Op = RegisterOp<number>;
export type Res = RegisterResult<number>;

export interface Entry {
  readonly client: number;
  readonly seq: number;
  readonly op: Op;
}

export type Msg =
  | { readonly type: 'Prepare'; readonly view: number; readonly log: readonly Entry[] }
  | { readonly type: 'PrepareOk'; readonly view: number; readonly length: number }
  | { readonly type: 'DoViewChange'; readonly view: number; readonly log: readonly Entry[]; readonly normalView: number }
  | { readonly type: 'StartView'; readonly view: number; readonly log: readonly Entry[] };

/** What a replica keeps on disk, written before it answers (see the header). */
export interface Durable {
  readonly view: number;
  /** normal: processing requests in `view`; view-change: waiting for `view` to start. */
  readonly status: 'normal' | 'view-change';
  /** The last view in which this replica's status was normal: ranks logs in a view change. */
  readonly normalView: number;
  readonly log: readonly Entry[];
}

export interface Replica extends Durable {
  /** Entries known committed (at the primary; 0 at a backup, which is not told). */
  readonly commit: number;
  /** At the primary: the log length each replica acknowledged in this view (by replica index). */
  readonly acks: readonly number[];
  /** At the primary of a view being started: the DoViewChanges received, by replica index. */
  readonly doViewChanges: readonly ({ readonly log: readonly Entry[]; readonly normalView: number } | null)[];
}

export type PrimaryBackupVariant = 'default' | 'new-primary-skips-state-collection';

type Result = HandlerResult<Replica, Msg, Durable, Res>;
type Fx = Effect<Msg, Durable, Res>;

const primaryOf = (view: number, ctx: NodeContext) => ctx.nodes[view % ctx.nodes.length];
const indexOf = (ctx: NodeContext) => ctx.nodes.indexOf(ctx.id);
const others = (ctx: NodeContext) => ctx.nodes.filter((id) => id !== ctx.id);
const isPrimary = (r: Replica, ctx: NodeContext) => r.status === 'normal' && primaryOf(r.view, ctx) === ctx.id;

const register = registerSpec(0);

/** The committed prefix applied in order, each (client, seq) once (client-table.ts): its
 * results by log position (undefined for a stale duplicate), the register's value and the
 * client table. */
export function applyLog(log: readonly Entry[]) {
  const applied = applyOnce(register.init(), log, register.apply);
  return { value: applied.state, results: applied.results, table: applied.table };
}

function replica(variant: PrimaryBackupVariant, viewsMax: number): NodeSpec<Replica, Msg, Durable, Op, Res> {
  const fresh = (d: Durable, n: number): Replica => ({ ...d, commit: 0, acks: Array(n).fill(0), doViewChanges: Array(n).fill(null) });

  /** The new state with its durable part written first, and the view-change timer armed
   * exactly when the replica is not a working primary and a higher view is allowed. */
  const done = (before: Replica, r: Replica, ctx: NodeContext, effects: readonly Fx[] = []): Result => {
    const durableChanged = r.view !== before.view || r.status !== before.status || r.normalView !== before.normalView || r.log !== before.log;
    const persist: Fx[] = durableChanged ? [{ kind: 'persist', data: { view: r.view, status: r.status, normalView: r.normalView, log: r.log } }] : [];
    const timer: Fx = !isPrimary(r, ctx) && r.view + 1 < viewsMax ? { kind: 'set-timer', timer: 'view-change' } : { kind: 'cancel-timer', timer: 'view-change' };
    return { state: r, effects: [...persist, ...effects, timer] };
  };

  /** Joins view `view`: status view-change, and a DoViewChange to its primary (to itself if
   * this replica is that primary). */
  const startViewChange = (r: Replica, view: number, ctx: NodeContext): Result => {
    const n = ctx.nodes.length;
    const joined: Replica = { ...r, view, status: 'view-change', commit: 0, acks: Array(n).fill(0), doViewChanges: Array(n).fill(null) };
    const primary = primaryOf(view, ctx);
    if (primary !== ctx.id) {
      return done(r, joined, ctx, [{ kind: 'send', to: primary, msg: { type: 'DoViewChange', view, log: r.log, normalView: r.normalView } }]);
    }
    if (variant === 'new-primary-skips-state-collection') return startView(r, joined, joined.log, ctx);
    return collect(r, joined, indexOf(ctx), { log: r.log, normalView: r.normalView }, ctx);
  };

  /** The new primary records one DoViewChange; with a majority it starts the view with the
   * best log: highest last normal view, then longest (VRR §4.2 step 3). */
  const collect = (before: Replica, r: Replica, from: number, dvc: { log: readonly Entry[]; normalView: number }, ctx: NodeContext): Result => {
    const doViewChanges = r.doViewChanges.map((d, k) => (k === from ? dvc : d));
    const got = doViewChanges.filter((d) => d !== null);
    const collected: Replica = { ...r, doViewChanges };
    if (got.length < majority(ctx)) return done(before, collected, ctx);
    const best = got.reduce((a, b) => (b.normalView > a.normalView || (b.normalView === a.normalView && b.log.length > a.log.length) ? b : a));
    return startView(before, collected, best.log, ctx);
  };

  const startView = (before: Replica, r: Replica, log: readonly Entry[], ctx: NodeContext): Result => {
    const n = ctx.nodes.length;
    const acks = Array(n).fill(0).map((_, k) => (k === indexOf(ctx) ? log.length : 0));
    const started: Replica = { ...r, status: 'normal', normalView: r.view, log, commit: 0, acks, doViewChanges: Array(n).fill(null) };
    const sends: Fx[] = others(ctx).map((to) => ({ kind: 'send', to, msg: { type: 'StartView', view: r.view, log } }));
    return done(before, started, ctx, sends);
  };

  /** Adopts the primary's log for `view` (from Prepare or StartView) and acknowledges it. */
  const adopt = (r: Replica, from: string, view: number, log: readonly Entry[], ctx: NodeContext): Result => {
    if (view < r.view || (view === r.view && r.status === 'normal' && log.length < r.log.length)) return done(r, r, ctx);
    const n = ctx.nodes.length;
    const adopted: Replica = { ...r, view, status: 'normal', normalView: view, log, commit: 0, acks: Array(n).fill(0), doViewChanges: Array(n).fill(null) };
    return done(r, adopted, ctx, [{ kind: 'send', to: from, msg: { type: 'PrepareOk', view, length: log.length } }]);
  };

  /** The primary counts a PrepareOk and commits what a majority has; it answers the clients
   * of newly committed entries. */
  const prepareOk = (r: Replica, from: number, length: number, ctx: NodeContext): Result => {
    const acks = r.acks.map((a, k) => (k === from ? Math.max(a, length) : a));
    const sorted = [...acks].sort((a, b) => b - a);
    const commit = Math.max(r.commit, sorted[majority(ctx) - 1]);
    const next: Replica = { ...r, acks, commit };
    const { results } = applyLog(r.log.slice(0, commit));
    const replies: Fx[] = [];
    for (let k = r.commit; k < commit; k++) {
      const result = results[k];
      if (result !== undefined) replies.push({ kind: 'reply', client: r.log[k].client, seq: r.log[k].seq, result });
    }
    return done(r, next, ctx, replies);
  };

  /** A client request at this replica (VRR §4.1 steps 1-3). */
  const request = (r: Replica, client: number, seq: number, op: Op, ctx: NodeContext): Result => {
    if (r.status !== 'normal') return done(r, r, ctx); // no answer: the client times out
    if (!isPrimary(r, ctx)) return done(r, r, ctx, [{ kind: 'redirect', client, seq, to: primaryOf(r.view, ctx) }]);
    const committed = applyLog(r.log.slice(0, r.commit));
    const s = seen(committed.table, client, seq);
    if (s.kind === 'duplicate') return done(r, r, ctx, [{ kind: 'reply', client, seq, result: s.result }]);
    if (s.kind === 'stale' || r.log.some((e) => e.client === client && e.seq === seq)) return done(r, r, ctx);
    const log = [...r.log, { client, seq, op }];
    const acks = r.acks.map((a, k) => (k === indexOf(ctx) ? log.length : a));
    const sends: Fx[] = others(ctx).map((to) => ({ kind: 'send', to, msg: { type: 'Prepare', view: r.view, log } }));
    return done(r, { ...r, log, acks }, ctx, sends);
  };

  const receive = (r: Replica, from: string, msg: Msg, ctx: NodeContext): Result => {
    const sender = ctx.nodes.indexOf(from);
    switch (msg.type) {
      case 'Prepare':
      case 'StartView':
        return adopt(r, from, msg.view, msg.log, ctx);
      case 'PrepareOk':
        return msg.view === r.view && isPrimary(r, ctx) ? prepareOk(r, sender, msg.length, ctx) : done(r, r, ctx);
      case 'DoViewChange': {
        if (msg.view < r.view || (msg.view === r.view && r.status === 'normal') || primaryOf(msg.view, ctx) !== ctx.id) return done(r, r, ctx);
        let joined = r;
        if (msg.view > r.view) {
          const started = startViewChange(r, msg.view, ctx);
          if (started.state.status === 'normal') return started; // started at once (the planted bug)
          joined = started.state;
        }
        return collect(r, joined, sender, { log: msg.log, normalView: msg.normalView }, ctx);
      }
      default: {
        const never: never = msg;
        throw new Error(`unknown message ${JSON.stringify(never)}`);
      }
    }
  };

  return {
    init: (ctx) => {
      const r = fresh({ view: 0, status: 'normal', normalView: 0, log: [] }, ctx.nodes.length);
      return done(r, r, ctx);
    },
    handle: (r, input: NodeInput<Msg, Op>, ctx) => {
      switch (input.kind) {
        case 'request':
          return request(r, input.client, input.seq, input.op, ctx);
        case 'receive':
          return receive(r, input.from, input.msg, ctx);
        case 'timeout':
          return r.view + 1 < viewsMax ? startViewChange(r, r.view + 1, ctx) : done(r, r, ctx);
        case 'internal':
          throw new Error(`a replica makes no local choice (${input.choice})`);
      }
    },
    restart: (durable, ctx) => {
      const r = fresh(durable ?? { view: 0, status: 'normal', normalView: 0, log: [] }, ctx.nodes.length);
      return done(r, r, ctx);
    },
  };
}

type State = SystemState<Replica, Msg, Durable, Op, Res>;

const describeLog = (log: readonly Entry[]) => `[${log.map((e) => describeOp(e.op)).join(',')}]`;
const describeOp = (op: Op) => (op.kind === 'write' ? `write(${op.value})` : op.kind === 'read' ? 'read()' : `cas(${op.from},${op.to})`);

function describeMessage(m: Msg): string {
  switch (m.type) {
    case 'Prepare':
      return `Prepare v=${m.view} log=${describeLog(m.log)}`;
    case 'PrepareOk':
      return `PrepareOk v=${m.view} n=${m.length}`;
    case 'DoViewChange':
      return `DoViewChange v=${m.view} normal=${m.normalView} log=${describeLog(m.log)}`;
    case 'StartView':
      return `StartView v=${m.view} log=${describeLog(m.log)}`;
  }
}

export function primaryBackup(params: Params, variant: PrimaryBackupVariant = 'default'): ActorModel<Replica, Msg, Durable, Op, Res> {
  const ids = Array.from({ length: params.replicas }, (_, k) => `n${k + 1}`);
  const spec = replica(variant, params.viewsMax);
  const timeout = { retriesMax: params.retriesMax };
  const reads = Array.from({ length: params.reads }, (): Op => ({ kind: 'read' }));
  const opsDone = (s: State) => s.clients.every((c, k) => c.status === 'idle' && c.next === (k === 0 ? 1 : reads.length));
  return actorSystem<Replica, Msg, Durable, Op, Res>({
    nodes: ids.map((id) => ({ id, spec })),
    faults: { crashesMax: params.crashesMax, ...(params.crashFirstPrimaryOnly === 1 ? { crashable: [ids[0]] } : {}) },
    clients: [
      { client: 0, node: ids[0], ops: [{ kind: 'write', value: 1 }], timeout },
      ...(reads.length > 0 ? [{ client: 1, node: ids[0], ops: reads, timeout }] : []),
    ],
    invariants: [linearizableHistory(registerSpec(0), 'Linearizable')],
    // Witnesses the params allow: no read returns anything without reads, no client retries
    // without retries, no view starts without a second view.
    sometimes: [
      ...(reads.length > 0 ? [{ name: 'a read returns 1', holds: (s: State) => s.history.some((e) => e.kind === 'return' && e.result === 1) }] : []),
      ...(params.viewsMax > 1 ? [{ name: 'a new view starts', holds: (s: State) => s.nodes.some((n) => n.state !== undefined && n.state.status === 'normal' && n.state.view > 0) }] : []),
      ...(params.retriesMax > 0 ? [{ name: 'a client retries at another replica', holds: (s: State) => s.clients.some((c) => c.retries > 0) }] : []),
    ],
    goal: opsDone,
    // Clients keep trying until their retries run out, and a backup that waits long enough
    // for its primary does time out.
    fairness: { timers: 'all', requests: true },
    describeMessage,
    describeOp,
    describeResult: (r) => String(r),
  });
}

export const primaryBackupDefinition: ModelDefinition = {
  name: 'primary-backup',
  summary: 'primary-backup register with view changes and client failover (Viewstamped Replication)',
  source: 'Liskov & Cowling, "Viewstamped Replication Revisited" (2012), sections 4.1-4.2',
  params: [
    { name: 'replicas', description: 'number of replicas', default: 3, min: 1, max: 5 },
    { name: 'viewsMax', description: 'views 0 .. viewsMax-1 may start', default: 2, min: 1, max: 6 },
    { name: 'crashesMax', description: 'replica crashes (each restarts from its disk)', default: 0, min: 0, max: 3 },
    { name: 'crashFirstPrimaryOnly', description: '1: only the primary of view 0 may crash', default: 0, min: 0, max: 1 },
    { name: 'retriesMax', description: 'resends per client request after a timeout (a redirect is followed and is no retry)', default: 0, min: 0, max: 4 },
    { name: 'reads', description: 'reads by the second client (0: no second client)', default: 1, min: 0, max: 3 },
  ],
  variants: [
    { name: 'default', description: 'Viewstamped Replication: a write acknowledged to a client survives view changes and crashes', expect: { status: 'holds' } },
    {
      name: 'new-primary-skips-state-collection',
      description: 'bug: the new primary starts its view with its own log, without DoViewChanges from a majority; an acknowledged write is lost',
      expect: { status: 'violation', property: 'Linearizable' },
      params: { crashesMax: 1 },
    },
  ],
  scenarios: [
    {
      kind: 'safety',
      name: 'acked-write-survives-primary-crash',
      description: 'the first primary may crash and restart from disk; clients follow redirects and do not retry after a timeout',
      params: { crashesMax: 1, crashFirstPrimaryOnly: 1, retriesMax: 0 },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'one-retry',
      description: 'a writer that times out retries once at the next replica (1.2M states with the reader too)',
      params: { retriesMax: 1, reads: 0 },
      expect: { status: 'holds' },
    },
    {
      kind: 'liveness',
      name: 'clients-finish',
      description: 'once faults stop, every client finishes its operations (answered, or given up after its retries), also after a crash',
      params: { reads: 0, crashesMax: 1, retriesMax: 1 },
      expect: { status: 'holds' },
    },
  ],
  create: (params, variant) => primaryBackup(params, variant as PrimaryBackupVariant),
};
