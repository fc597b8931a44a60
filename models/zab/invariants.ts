// The Zab paper's properties (Junqueira, Reed & Serafini, DSN 2011, §III) and the invariants of
// ZooKeeper's TLA+ specifications (zookeeper-specifications: Leadership, PrefixConsistency,
// Integrity, Agreement, TotalOrder, LocalPrimaryOrder, GlobalPrimaryOrder, PrimaryIntegrity),
// plus commit completeness and history consistency after synchronisation. They read the ghost
// fields of the durable records (epochs led, transactions proposed, transactions delivered), so
// they hold over a server's whole life, crashes included.

import type { Invariant, Witness } from '../../src/core/model.ts';
import type { SystemState } from '../../src/core/actors.ts';
import type { Zxid } from './zxid.ts';
import { sameTxn, type Durable, type Msg, type Server, type Txn } from './server.ts';
import { firstMessage } from '../../src/core/data.ts';

export type ZabState = SystemState<Server, Msg, Durable, never, never>;

export interface View {
  readonly id: string;
  readonly d: Durable;
  /** Undefined while crashed. */
  readonly s: Server | undefined;
}

export function views(state: ZabState, ids: readonly string[]): View[] {
  return state.nodes.map((slot, k) => ({ id: ids[k], d: slot.state ?? slot.durable!, s: slot.state }));
}

export const zxidText = (z: Zxid) => `(${z.epoch},${z.counter})`;
export const txnText = (t: Txn) => `${zxidText(t.zxid)}@${t.by}`;
const list = (ts: readonly Txn[]) => `[${ts.map(txnText).join(' ')}]`;
const has = (ts: readonly Txn[], t: Txn) => ts.some((x) => sameTxn(x, t));
const indexOfTxn = (ts: readonly Txn[], t: Txn) => ts.findIndex((x) => sameTxn(x, t));
const isPrefix = (a: readonly Txn[], b: readonly Txn[]) => a.length <= b.length && a.every((t, k) => sameTxn(t, b[k]));

function pairs<T>(xs: readonly T[]): [T, T][] {
  const out: [T, T][] = [];
  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) out.push([xs[i], xs[j]]);
  return out;
}


/** The invariants, over views built with the system's node ids. */
export function zabInvariants(ids: readonly string[]): Invariant<ZabState>[] {
  const v = (s: ZabState) => views(s, ids);
  return [
    {
      name: 'Leadership',
      check: (s) =>
        firstMessage(pairs(v(s)), ([a, b]) => {
          const e = a.d.led.find((x) => b.d.led.includes(x));
          return e === undefined ? undefined : `${a.id} and ${b.id} were both established as leader of epoch ${e}`;
        }),
    },
    {
      name: 'Integrity',
      check: (s) => {
        const all = v(s);
        const proposed = all.flatMap((x) => x.d.proposed);
        return firstMessage(all, (x) => {
          const t = x.d.delivered.find((d) => !has(proposed, d));
          return t === undefined ? undefined : `${x.id} delivered ${txnText(t)}, which no leader broadcast`;
        });
      },
    },
    {
      name: 'Agreement',
      check: (s) =>
        firstMessage(pairs(v(s)), ([a, b]) => {
          const onlyA = a.d.delivered.find((t) => !has(b.d.delivered, t));
          const onlyB = b.d.delivered.find((t) => !has(a.d.delivered, t));
          return onlyA !== undefined && onlyB !== undefined
            ? `${a.id} delivered ${txnText(onlyA)} and ${b.id} delivered ${txnText(onlyB)}, and neither delivered the other's`
            : undefined;
        }),
    },
    {
      name: 'TotalOrder',
      check: (s) =>
        firstMessage(pairs(v(s)).flatMap(([a, b]) => [[a, b], [b, a]] as const), ([a, b]) => {
          for (let i = 0; i < a.d.delivered.length; i++) {
            for (let j = i + 1; j < a.d.delivered.length; j++) {
              const jb = indexOfTxn(b.d.delivered, a.d.delivered[j]);
              if (jb < 0) continue;
              const ib = indexOfTxn(b.d.delivered, a.d.delivered[i]);
              if (ib < 0 || ib > jb) {
                return `${a.id} delivered ${txnText(a.d.delivered[i])} before ${txnText(a.d.delivered[j])}, but ${b.id} delivered ${list(b.d.delivered)}`;
              }
            }
          }
          return undefined;
        }),
    },
    {
      name: 'PrefixConsistency',
      check: (s) =>
        firstMessage(pairs(v(s)), ([a, b]) =>
          isPrefix(a.d.delivered, b.d.delivered) || isPrefix(b.d.delivered, a.d.delivered)
            ? undefined
            : `${a.id} delivered ${list(a.d.delivered)} and ${b.id} delivered ${list(b.d.delivered)}: neither is a prefix of the other`,
        ),
    },
    {
      name: 'LocalPrimaryOrder',
      check: (s) => {
        const all = v(s);
        return firstMessage(all, (p) =>
          firstMessage(all, (x) => {
            // p broadcast a before b in one epoch; whoever delivered b delivered a before it.
            for (let j = 0; j < p.d.proposed.length; j++) {
              const b = p.d.proposed[j];
              const jb = indexOfTxn(x.d.delivered, b);
              if (jb < 0) continue;
              for (let i = 0; i < j; i++) {
                const a = p.d.proposed[i];
                if (a.zxid.epoch !== b.zxid.epoch) continue;
                const ia = indexOfTxn(x.d.delivered, a);
                if (ia < 0 || ia > jb) return `${p.id} broadcast ${txnText(a)} before ${txnText(b)}, but ${x.id} delivered ${list(x.d.delivered)}`;
              }
            }
            return undefined;
          }),
        );
      },
    },
    {
      name: 'GlobalPrimaryOrder',
      check: (s) =>
        firstMessage(v(s), (x) => {
          const k = x.d.delivered.findIndex((t, i) => i > 0 && t.zxid.epoch < x.d.delivered[i - 1].zxid.epoch);
          return k < 0 ? undefined : `${x.id} delivered ${txnText(x.d.delivered[k - 1])} of epoch ${x.d.delivered[k - 1].zxid.epoch} before ${txnText(x.d.delivered[k])} of an earlier epoch`;
        }),
    },
    {
      name: 'PrimaryIntegrity',
      check: (s) => {
        const all = v(s);
        return firstMessage(all, (p) => {
          // p broadcast in epoch e: everything of an earlier epoch delivered anywhere, p delivered
          // (it delivers its initial history before it proposes anything).
          const epochs = [...new Set(p.d.proposed.map((t) => t.zxid.epoch))];
          return firstMessage(epochs, (e) =>
            firstMessage(all, (x) => {
              const t = x.d.delivered.find((d) => d.zxid.epoch < e && !has(p.d.delivered, d));
              return t === undefined ? undefined : `${p.id} broadcast in epoch ${e} without having delivered ${txnText(t)}, which ${x.id} delivered`;
            }),
          );
        });
      },
    },
    {
      name: 'CommittedStays',
      check: (s) =>
        firstMessage(v(s), (x) => {
          const k = x.d.delivered.findIndex((t, i) => i >= x.d.history.length || !sameTxn(t, x.d.history[i]));
          return k < 0 ? undefined : `${x.id} delivered ${txnText(x.d.delivered[k])} but its log is now ${list(x.d.history)}: a committed transaction was truncated`;
        }),
    },
    {
      name: 'CommitCompleteness',
      check: (s) => {
        const all = v(s);
        return firstMessage(all, (L) => {
          if (L.s === undefined || L.s.state !== 'leading' || !L.s.established) return undefined;
          const e = L.s.epoch!;
          return firstMessage(all, (x) => {
            const t = x.d.delivered.find((d) => d.zxid.epoch < e && !has(L.d.history, d));
            return t === undefined ? undefined : `${L.id} leads epoch ${e} without ${txnText(t)}, which ${x.id} delivered`;
          });
        });
      },
    },
    {
      name: 'HistoryConsistency',
      check: (s) => {
        const all = v(s);
        return firstMessage(all, (f) => {
          const r = f.s;
          if (r === undefined || (r.state !== 'following' && r.state !== 'observing') || r.phase !== 'broadcast') return undefined;
          const L = all.find((x) => x.id === r.leader)?.s;
          if (L === undefined || L.state !== 'leading' || !L.established || L.epoch !== r.currentEpoch) return undefined;
          return isPrefix(r.history, L.history) ? undefined : `${f.id} follows ${r.leader} in epoch ${L.epoch} with log ${list(r.history)}, which is not a prefix of its leader's ${list(L.history)}`;
        });
      },
    },
  ];
}

/** What the bounds allow, so that a witness is declared only where it can be reached. */
export interface WitnessBounds {
  readonly txns: boolean;
  /** A second epoch (some crash or timeout, and epochsMax >= 2). */
  readonly epochChange: boolean;
  readonly minority: boolean;
  /** A learner missing more than diffMax transactions. */
  readonly snap: boolean;
  /** A learner with a transaction the next leader lacks: its leader must go (a crash or a
   * timeout) and a follower must give up on it (a timeout). */
  readonly trunc: boolean;
  readonly diff: boolean;
}

export function zabWitnesses(ids: readonly string[], voters: readonly string[], observers: readonly string[], can: WitnessBounds): Witness<ZabState>[] {
  const v = (s: ZabState) => views(s, ids);
  const synced = (mode: string, withTxns: boolean) => (s: ZabState) =>
    v(s).some((x) => x.s?.sync != null && x.s.sync.mode === mode && (!withTxns || x.s.sync.txns > 0) && !x.s.sync.steps.includes('ack'));
  const all: (Witness<ZabState> & { readonly when: boolean })[] = [
    {
      when: can.txns,
      name: 'a transaction is delivered by every voter',
      holds: (s) => {
        const all = v(s).filter((x) => voters.includes(x.id));
        return all[0].d.delivered.some((t) => all.every((x) => has(x.d.delivered, t)));
      },
    },
    { when: can.epochChange, name: 'a leader is established in epoch 2', holds: (s) => v(s).some((x) => x.d.led.includes(2)) },
    {
      when: can.epochChange && can.txns && can.minority,
      name: 'a new leader is established after a proposal only a minority logged',
      holds: (s) => {
        const all = v(s);
        return all.some((p) =>
          p.d.proposed.some(
            (t) => !has(p.d.delivered, t) && all.some((x) => x.id !== p.id && has(x.d.history, t)) && all.some((x) => x.d.led.some((e) => e > t.zxid.epoch)),
          ),
        );
      },
    },
    { when: can.diff, name: 'a learner that missed transactions is synchronised by DIFF', holds: synced('DIFF', true) },
    { when: can.trunc, name: 'a learner is synchronised by TRUNC', holds: synced('TRUNC', false) },
    { when: can.snap, name: 'a learner is synchronised by SNAP', holds: synced('SNAP', false) },
    { when: observers.length > 0 && can.txns, name: 'an observer delivers a transaction', holds: (s) => v(s).some((x) => observers.includes(x.id) && x.d.delivered.length > 0) },
  ];
  return all.filter((w) => w.when).map(({ name, holds }) => ({ name, holds }));
}

