// ZooKeeper's guarantees (ZooKeeper Programmer's Guide, "ZooKeeper consistency guarantees";
// Hunt et al., USENIX ATC 2010, §2.3) as invariants of the ensemble, over the servers' logs and
// trees and the history the clients record:
// 1. Sequential consistency: a client's updates are applied in the order it sent them.
// 2. Atomicity: no server applies, and no client reads, a transaction that is then lost.
// 3. Single system image: a client never sees an older state than one it saw, across servers.
// 4. Reliability: an acknowledged update survives (every later leader has it).
// 5. Timeliness: after sync, a read reflects every update acknowledged before the sync began
//    when the leader did not change; StrictTimeliness drops that condition (it fails in
//    ZooKeeper: sync is not a quorum operation).
// Plus: writes are linearizable and reads sequentially consistent (the project's history
// checkers on the recorded history, a versioned register as the sequential specification).

import type { Invariant, Witness } from '../../../src/core/model.ts';
import type { SystemState } from '../../../src/core/actors.ts';
import { checkLinearizable, checkSequentiallyConsistent, type History, type Operation, type SequentialSpec } from '../../../src/history/index.ts';
import { compareZxid, type Durable, type Txn, type View } from '../../zab/index.ts';
import type { EnsembleMsg, ZkOp, ZkResult } from './types.ts';
import { zxidNumber, zxidOfNumber } from './types.ts';
import { appTxn, isExpiry, serving, type Trees, type ZkNode } from './server.ts';
import { firstMessage } from '../../../src/core/data.ts';

export type EnsembleState = SystemState<ZkNode, EnsembleMsg, Durable, ZkOp, ZkResult>;

/** The servers (the first nodes of the system), as Zab views. */
export function serverViews(state: EnsembleState, servers: readonly string[]): View[] {
  return servers.map((id, k) => {
    const slot = state.nodes[k];
    const s = slot.state?.kind === 'server' ? slot.state.zab : undefined;
    return { id, d: s ?? slot.durable!, s };
  });
}

/** One client operation as recorded: which client (zk), its cxid, where it was answered. */
export interface RecordedOp {
  readonly id: number;
  readonly zk: number;
  readonly op: ZkOp;
  readonly node: string;
  readonly invokedAt: number;
  readonly result?: ZkResult;
  readonly returnedAt?: number;
  readonly answeredBy?: string;
  /** False once the operation ended without an answer (its connection was lost). */
  readonly pending: boolean;
}

interface Recorded {
  readonly kind: 'invoke' | 'return' | 'fail' | 'info';
  readonly client: number;
  readonly zk: number;
  readonly op?: ZkOp;
  readonly result?: ZkResult;
  readonly node: string;
}

const opsMemo = new WeakMap<readonly unknown[], RecordedOp[]>();

/** The recorded operations, in invocation order (memoised per history). */
export function recordedOps(state: EnsembleState): RecordedOp[] {
  const memo = opsMemo.get(state.history);
  if (memo !== undefined) return memo;
  const ops: RecordedOp[] = [];
  const open = new Map<number, number>();
  (state.history as readonly unknown[] as readonly Recorded[]).forEach((e, at) => {
    if (e.kind === 'invoke') {
      open.set(e.client, ops.length);
      ops.push({ id: ops.length, zk: e.zk, op: e.op!, node: e.node, invokedAt: at, pending: true });
      return;
    }
    const k = open.get(e.client)!;
    open.delete(e.client);
    ops[k] = e.kind === 'return' ? { ...ops[k], result: e.result!, returnedAt: at, answeredBy: e.node, pending: false } : { ...ops[k], pending: false };
  });
  opsMemo.set(state.history, ops);
  return ops;
}

const clientName = (zk: number) => `c${zk + 1}`;
const opText = (o: RecordedOp) =>
  `${clientName(o.zk)}'s ${o.op.kind === 'set' ? `set x=${o.op.value}` : o.op.kind}${o.result !== undefined ? ` (zxid ${zxidOfNumber(o.result.zxid)}${o.result.value !== undefined ? `, read x=${o.result.value}` : ''}, at ${o.answeredBy})` : ''}`;
const txnLabel = (t: Txn) => {
  const a = appTxn(t);
  const what = a.request.kind === 'setData' ? `set x=${a.request.data}` : a.request.kind;
  return `${zxidOfNumber(zxidNumber(t.zxid))} ${what} of ${a.client} cxid ${a.cxid}`;
};


/** Established leaders now, with their epochs. */
function leaders(views: readonly View[]): { id: string; epoch: number; history: readonly Txn[] }[] {
  return views.filter((v) => v.s?.state === 'leading' && v.s.established).map((v) => ({ id: v.id, epoch: v.s!.epoch!, history: v.s!.history }));
}

const hasZxid = (history: readonly Txn[], zxid: number) => history.some((t) => zxidNumber(t.zxid) === zxid);

/** A versioned register: a set returns the version it made; a get the value and version. */
const REGISTER: SequentialSpec<{ value: string; version: number }, ZkOp, string> = {
  name: 'versioned register /x',
  init: () => ({ value: 'v0', version: 0 }),
  apply: (s, op) => {
    if (op.kind === 'set') return { state: { value: op.value, version: s.version + 1 }, result: `version ${s.version + 1}` };
    return { state: s, result: `${s.value}@${s.version}` };
  },
  describe: (op) => (op.kind === 'set' ? `set(${op.value})` : op.kind),
};

const resultText = (o: RecordedOp): string => (o.op.kind === 'set' ? `version ${o.result!.version}` : `${o.result!.value}@${o.result!.version}`);

function historyOf(ops: readonly RecordedOp[], keep: (o: RecordedOp) => boolean, client: (o: RecordedOp) => number): History<ZkOp, string> {
  return ops.filter(keep).map(
    (o): Operation<ZkOp, string> =>
      o.result === undefined
        ? { kind: 'pending', id: o.id, client: client(o), op: o.op, invokedAt: o.invokedAt }
        : { kind: 'completed', id: o.id, client: client(o), op: o.op, invokedAt: o.invokedAt, result: resultText(o), returnedAt: o.returnedAt! },
  );
}

function historyCheck(name: string, judge: (ops: readonly RecordedOp[]) => string | undefined): Invariant<EnsembleState> {
  const memo = new WeakMap<readonly unknown[], { v: string | undefined }>();
  return {
    name,
    check: (s) => {
      if (s.history.length === 0) return undefined;
      let m = memo.get(s.history);
      if (m === undefined) {
        m = { v: judge(recordedOps(s)) };
        memo.set(s.history, m);
      }
      return m.v;
    },
  };
}

export interface EnsembleChecks {
  /** Voters then observers, in node order. */
  readonly servers: readonly string[];
  readonly observers: readonly string[];
  readonly trees: Trees;
  readonly setupZxid: number;
  /** Check StrictTimeliness too (it fails in ZooKeeper across a leader change). */
  readonly strictTimeliness: boolean;
}

export function ensembleInvariants(c: EnsembleChecks): Invariant<EnsembleState>[] {
  const v = (s: EnsembleState) => serverViews(s, c.servers);
  const timeliness = (s: EnsembleState, strict: boolean): string | undefined => {
    const ops = recordedOps(s);
    return firstMessage(ops, (sync) => {
      if (sync.op.kind !== 'sync' || sync.result === undefined) return undefined;
      const read = ops.find((o) => o.zk === sync.zk && o.id > sync.id);
      if (read === undefined || read.op.kind !== 'get' || read.result === undefined) return undefined;
      return firstMessage(ops, (w) => {
        if (w.op.kind !== 'set' || w.result === undefined || w.returnedAt! >= sync.invokedAt) return undefined;
        const sameLeader = Math.floor(w.result.zxid / 2 ** 32) === read.result!.epoch;
        if (!strict && !sameLeader) return undefined;
        if (read.result!.zxid >= w.result.zxid) return undefined;
        return `${opText(w)} was acknowledged before ${clientName(sync.zk)}'s sync began, yet the read after the sync, ${opText(read)}, does not reflect it${sameLeader ? '' : ' (the leader changed: sync is not a quorum operation)'}`;
      });
    });
  };
  const invariants: Invariant<EnsembleState>[] = [
    {
      name: 'SequentialConsistency',
      check: (s) =>
        firstMessage(v(s), (x) => {
          const log = x.d.history;
          for (let i = 0; i < log.length; i++) {
            for (let j = i + 1; j < log.length; j++) {
              const a = appTxn(log[i]);
              const b = appTxn(log[j]);
              if (a.client === b.client && !isExpiry(a) && !isExpiry(b) && a.cxid > b.cxid) return `${x.id}'s log has ${txnLabel(log[i])} before ${txnLabel(log[j])}: ${a.client}'s updates are applied out of the order it sent them`;
            }
          }
          return undefined;
        }),
    },
    {
      name: 'Atomicity',
      check: (s) => {
        const views = v(s);
        const ls = leaders(views);
        const applied = firstMessage(views, (x) => {
          if (x.s === undefined || !serving(x.s)) return undefined;
          return firstMessage(x.s.history.slice(0, x.s.applied!), (t) => {
            const l = ls.find((L) => L.epoch > t.zxid.epoch && !L.history.some((u) => compareZxid(u.zxid, t.zxid) === 0 && u.by === t.by));
            return l === undefined ? undefined : `${x.id} applied ${txnLabel(t)}, but ${l.id}, the established leader of epoch ${l.epoch}, does not have it: a transaction applied on one server is lost`;
          });
        });
        if (applied !== undefined) return applied;
        return firstMessage(recordedOps(s), (o) => {
          if (o.op.kind !== 'get' || o.result === undefined || o.result.zxid <= c.setupZxid) return undefined;
          const epoch = Math.floor(o.result.zxid / 2 ** 32);
          const l = ls.find((L) => L.epoch > epoch && !hasZxid(L.history, o.result!.zxid));
          return l === undefined ? undefined : `${opText(o)} saw transaction ${zxidOfNumber(o.result.zxid)}, but ${l.id}, the established leader of epoch ${l.epoch}, does not have it: a client read a transaction that was never committed`;
        });
      },
    },
    {
      name: 'SingleSystemImage',
      check: (s) => {
        const seen = new Map<number, RecordedOp>();
        const answered = recordedOps(s).filter((o) => o.result !== undefined).sort((a, b) => a.returnedAt! - b.returnedAt!);
        return firstMessage(answered, (o) => {
          const before = seen.get(o.zk);
          if (before === undefined || o.result!.zxid >= before.result!.zxid) {
            seen.set(o.zk, o);
            return undefined;
          }
          return `${opText(o)} is older than ${opText(before)}, which ${clientName(o.zk)} saw before: the client went back in time`;
        });
      },
    },
    {
      name: 'Reliability',
      check: (s) => {
        const ls = leaders(v(s));
        return firstMessage(recordedOps(s), (o) => {
          if (o.op.kind !== 'set' || o.result === undefined) return undefined;
          const epoch = Math.floor(o.result.zxid / 2 ** 32);
          const l = ls.find((L) => L.epoch >= epoch && !hasZxid(L.history, o.result!.zxid));
          return l === undefined ? undefined : `${opText(o)} was acknowledged, but ${l.id}, the established leader of epoch ${l.epoch}, does not have it: an acknowledged update was lost`;
        });
      },
    },
    {
      // A session's expiry is a transaction, ordered with its requests: nothing of the session
      // is applied after it.
      name: 'SessionOrder',
      check: (s) =>
        firstMessage(v(s), (x) => {
          const log = x.d.history;
          const k = log.findIndex((t) => isExpiry(appTxn(t)));
          if (k < 0) return undefined;
          const expired = appTxn(log[k]).client;
          const later = log.slice(k + 1).find((t) => appTxn(t).client === expired);
          return later === undefined ? undefined : `${x.id}'s log has ${txnLabel(later)} after ${txnLabel(log[k])}: a write of an expired session is applied`;
        }),
    },
    { name: 'Timeliness', check: (s) => timeliness(s, false) },
    historyCheck('LinearizableWrites', (ops) => {
      const h = historyOf(ops, (o) => o.op.kind === 'set', (o) => o.id);
      if (h.length === 0) return undefined;
      const verdict = checkLinearizable(REGISTER, h);
      if (verdict.kind === 'unknown') throw new Error(`LinearizableWrites: history check gave up: ${verdict.explanation}`);
      return verdict.ok ? undefined : verdict.explanation;
    }),
    historyCheck('SequentiallyConsistentReads', (ops) => {
      const h = historyOf(ops, (o) => o.op.kind !== 'sync', (o) => o.zk);
      if (!h.some((o) => o.op.kind === 'get')) return undefined;
      const verdict = checkSequentiallyConsistent(REGISTER, h);
      if (verdict.kind === 'unknown') throw new Error(`SequentiallyConsistentReads: history check gave up: ${verdict.explanation}`);
      return verdict.ok ? undefined : verdict.explanation;
    }),
  ];
  if (c.strictTimeliness) invariants.push({ name: 'StrictTimeliness', check: (s) => timeliness(s, true) });
  return invariants;
}

export interface WitnessBounds {
  readonly writes: boolean;
  readonly reads: boolean;
  readonly syncs: boolean;
  readonly expiry: boolean;
  readonly epochChange: boolean;
  readonly connectionLoss: boolean;
}

export function ensembleWitnesses(c: EnsembleChecks, b: WitnessBounds): Witness<EnsembleState>[] {
  const v = (s: EnsembleState) => serverViews(s, c.servers);
  const answered = (s: EnsembleState, kind: ZkOp['kind']) => recordedOps(s).some((o) => o.op.kind === kind && o.result !== undefined);
  const out: Witness<EnsembleState>[] = [];
  if (b.writes) out.push({ name: 'a write is acknowledged', holds: (s) => answered(s, 'set') });
  if (b.reads) {
    out.push({ name: 'a read returns', holds: (s) => answered(s, 'get') });
    if (b.writes) out.push({ name: 'a read sees a write', holds: (s) => recordedOps(s).some((o) => o.op.kind === 'get' && o.result !== undefined && o.result.zxid > c.setupZxid) });
  }
  if (c.observers.length > 0 && (b.writes || b.reads)) {
    out.push({ name: 'an observer answers a client', holds: (s) => recordedOps(s).some((o) => o.answeredBy !== undefined && c.observers.includes(o.answeredBy)) });
  }
  if (b.expiry) {
    out.push({
      name: 'a session expires while its client is connected',
      holds: (s) => s.nodes.some((slot) => slot.state?.kind === 'client' && slot.state.expired),
    });
  }
  if (b.syncs) out.push({ name: 'a sync is answered', holds: (s) => answered(s, 'sync') });
  if (b.epochChange && b.writes) {
    out.push({ name: 'a leader of epoch 2 is established after a write was acknowledged', holds: (s) => answered(s, 'set') && v(s).some((x) => x.d.led.includes(2)) });
  }
  if (b.connectionLoss) {
    out.push({ name: 'an operation ends unknown with its lost connection', holds: (s) => recordedOps(s).some((o) => o.result === undefined && o.pending === false) });
  }
  return out;
}
