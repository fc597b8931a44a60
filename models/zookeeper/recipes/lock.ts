// The distributed lock of the ZooKeeper recipes page ("Locks"), as Curator's
// InterProcessMutex builds it: each client creates an ephemeral-sequential node under /lock
// whose name carries its id and session (Curator's "protected" name, so that after a
// ConnectionLoss on the create it can find its node), lists /lock, holds the lock when its node
// has the lowest sequence number, and otherwise watches only the node just before its own
// (exists with a watch), re-listing when that node goes: a release wakes one waiter, no herd.
//
// The holder uses a protected resource: it reads a counter and writes it back plus one (a
// read-modify-write a lock is meant to protect). A holder whose session expired while it was
// cut off still believes it holds the lock — ZooKeeper cannot tell it in time — so the
// resource takes a fencing token, the lock node's sequence number, and rejects a read or write
// with a token older than one it has seen (Kleppmann, "How to do distributed locking", 2016).
//
// Properties: MutualExclusion — at most one client that is not crashed believes it holds the
// lock *while its session is alive*; NoHerdEffect — a release (a delete or a session expiry
// removing a lock node) wakes at most one waiter, counted as the watch events it fires to lock
// clients; NoLostUpdate — no increment of the resource is overwritten. The naive claim
// OneBelievedHolder (at most one client believes it holds, whatever its session) is false, and
// its variant shows the counterexample; without fencing NoLostUpdate fails too.

import type { Invariant, Witness } from '../../../src/core/model.ts';
import { childName, OPEN_ACL_UNSAFE, type ZkResponse } from '../index.ts';
import { bySequence, seen, sequenceOf, type Bounds, type Move, type Recipe, type RecipeState } from './service.ts';

export interface LockFlags {
  /** The resource checks fencing tokens. */
  readonly fencing: boolean;
  /** Planted bug: every waiter watches /lock's children (getChildren with a watch). */
  readonly herd: boolean;
  /** Planted bug: a waiter takes its predecessor's deletion as the lock, without re-listing. */
  readonly noRecheck: boolean;
  /** Check the naive claim OneBelievedHolder too. */
  readonly naiveClaim: boolean;
}

type Phase = 'start' | 'find' | 'check' | 'watch' | 'waiting' | 'held' | 'read' | 'release' | 'done';

export interface LockClient {
  readonly phase: Phase;
  /** The client's lock node under /lock, once known. */
  readonly node: string | null;
  /** The node it watches. */
  readonly pred: string | null;
  /** The counter value it read (phase 'read'). */
  readonly value: number;
  /** Whether its predecessor's deletion woke it (for the witness). */
  readonly woken: boolean;
}

type LockSeen = 'acquired' | 'acquired after waiting' | 'holder expired' | 'stale token rejected' | 'acquired on a second session';

export interface LockWorld {
  readonly value: number;
  /** Highest token the resource has seen (-1: none). */
  readonly maxToken: number;
  /** The first lost update, in words. */
  readonly lost: string | null;
  readonly lastWriter: string;
  /** The first release that woke more than one waiter, in words. */
  readonly herd: string | null;
  /** The most waiters one release woke so far. */
  readonly wakeupsMax: number;
  readonly seen: readonly LockSeen[];
}

type S = RecipeState<LockClient, LockWorld>;

const holding = (c: LockClient) => c.phase === 'held' || c.phase === 'read';

export function lockRecipe(clients: number, bounds: Bounds, flags: LockFlags): Recipe<LockClient, LockWorld> {
  const names = Array.from({ length: clients }, (_, i) => `c${i}`);
  const prefix = (i: number, session: number) => `c${i}s${session}-`;

  /** The client's next step after listing /lock. */
  function position(c: LockClient, w: LockWorld, i: number, children: readonly string[], session: number): [LockClient, LockWorld] {
    const sorted = bySequence(children);
    const at = c.node === null ? -1 : sorted.indexOf(c.node);
    if (at < 0) return [{ ...c, phase: 'start', node: null, pred: null }, w];
    if (at === 0) {
      let s = seen(w.seen, 'acquired');
      if (c.woken) s = seen(s, 'acquired after waiting');
      if (!c.node!.startsWith(prefix(i, session))) throw new Error(`lock node ${c.node} is not session ${session}'s`);
      return [{ ...c, phase: 'held', pred: null, woken: false }, { ...w, seen: s }];
    }
    if (flags.herd) return [{ ...c, phase: 'waiting', pred: null }, w];
    return [{ ...c, phase: 'watch', pred: sorted[at - 1] }, w];
  }

  return {
    clients,
    names,
    parents: ['/lock'],
    initClient: () => ({ phase: 'start', node: null, pred: null, value: 0, woken: false }),
    world: { value: 0, maxToken: -1, lost: null, lastWriter: 'nobody', herd: null, wakeupsMax: 0, seen: [] },

    moves(c, i, session): Move[] {
      switch (c.phase) {
        case 'start':
          return [{ kind: 'call', request: { kind: 'create', session, path: `/lock/${prefix(i, session)}`, data: '', acl: OPEN_ACL_UNSAFE, mode: 'ephemeral-sequential' } }];
        case 'find':
          return [{ kind: 'call', request: { kind: 'getChildren', session, path: '/lock', watch: false } }];
        case 'check':
          return [{ kind: 'call', request: { kind: 'getChildren', session, path: '/lock', watch: flags.herd } }];
        case 'watch':
          return [{ kind: 'call', request: { kind: 'exists', session, path: `/lock/${c.pred}`, watch: true } }];
        case 'held':
          return [{ kind: 'local', label: `reads the resource with token ${sequenceOf(c.node!)}`, op: 'read' }];
        case 'read':
          return [{ kind: 'local', label: `writes ${c.value + 1} to the resource with token ${sequenceOf(c.node!)}`, op: 'write' }];
        case 'release':
          return [{ kind: 'call', request: { kind: 'delete', session, path: `/lock/${c.node}`, version: -1 } }];
        case 'waiting':
        case 'done':
          return [];
      }
    },

    onReply(c, w, i, _label, r: ZkResponse, session) {
      switch (c.phase) {
        case 'start':
          if (r.kind !== 'created') throw new Error(`lock create answered ${r.kind}`);
          return [{ ...c, phase: 'check', node: childName(r.path) }, w];
        case 'find': {
          if (r.kind !== 'children') throw new Error(`getChildren answered ${r.kind}`);
          const mine = r.children.find((x) => x.startsWith(prefix(i, session)));
          if (mine === undefined) return [{ ...c, phase: 'start' }, w];
          return position({ ...c, node: mine }, w, i, r.children, session);
        }
        case 'check':
          if (r.kind !== 'children') throw new Error(`getChildren answered ${r.kind}`);
          return position(c, w, i, r.children, session);
        case 'watch':
          return [{ ...c, phase: r.kind === 'stat' ? 'waiting' : 'check' }, w];
        case 'release':
          return [{ ...c, phase: 'done', node: null }, w];
        default:
          throw new Error(`c${i} got a reply in phase ${c.phase}`);
      }
    },

    onEvent(c, w, _i, e) {
      if (c.phase !== 'waiting') return [c, w];
      if (flags.herd) return e.type === 'NodeChildrenChanged' && e.path === '/lock' ? [{ ...c, phase: 'check', woken: true }, w] : [c, w];
      if (e.type !== 'NodeDeleted' || e.path !== `/lock/${c.pred}`) return [c, w];
      if (flags.noRecheck) return [{ ...c, phase: 'held', pred: null }, { ...w, seen: seen(seen(w.seen, 'acquired'), 'acquired after waiting') }];
      return [{ ...c, phase: 'check', pred: null, woken: true }, w];
    },

    onConnectionLoss(c, w, _i, inflight) {
      if (inflight === null) return [c, w];
      switch (c.phase) {
        case 'start':
          return [{ ...c, phase: 'find' }, w];
        case 'watch':
          return [{ ...c, phase: 'check' }, w];
        default:
          return [c, w];
      }
    },

    onExpired(c, w) {
      // The session and its lock node are gone: start over (a holder stops believing only now);
      // a client that was releasing is done, its node went with the session.
      const done = c.phase === 'done' || c.phase === 'release';
      return [{ phase: done ? 'done' : 'start', node: null, pred: null, value: 0, woken: false }, w];
    },

    onLocal(c, w, i, op) {
      const token = sequenceOf(c.node!);
      if (flags.fencing && token < w.maxToken) {
        return [{ ...c, phase: 'release' }, { ...w, seen: seen(w.seen, 'stale token rejected') }];
      }
      const maxToken = flags.fencing ? Math.max(w.maxToken, token) : w.maxToken;
      if (op === 'read') return [{ ...c, phase: 'read', value: w.value }, { ...w, maxToken }];
      const lost = w.lost ?? (w.value !== c.value ? `c${i} (token ${token}) wrote ${c.value + 1} over ${w.value}, written by ${w.lastWriter} after c${i} read ${c.value}: an increment is lost` : null);
      return [{ ...c, phase: 'release', value: 0 }, { ...w, maxToken, value: c.value + 1, lost, lastWriter: `c${i} (token ${token})` }];
    },

    onApplied(w, i, request, r, before, slots) {
      let next = w;
      if (request.kind === 'expireSession' && holding(slots[i].c)) next = { ...next, seen: seen(next.seen, 'holder expired') };
      // A release: a delete of a lock node, or an expiry that removed one.
      const released = Object.keys(before.nodes).filter((p) => p.startsWith('/lock/') && r.state.nodes[p] === undefined);
      if (released.length === 0) return next;
      const woken = slots
        .map((slot, k) => ({ slot, k }))
        .filter(({ slot, k }) => !(request.kind === 'delete' && k === i) && r.events.some((e) => e.session === slot.session && (e.type === 'NodeDeleted' || e.type === 'NodeChildrenChanged') && (e.path === '/lock' || e.path.startsWith('/lock/'))))
        .map(({ k }) => names[k]);
      const wakeupsMax = Math.max(next.wakeupsMax, woken.length);
      const how = request.kind === 'expireSession' ? `the expiry of ${names[i]}'s session ${request.session}` : `${names[i]}'s delete`;
      const herd = next.herd ?? (woken.length > 1 ? `releasing ${released.join(', ')} (${how}) woke ${woken.length} waiters: ${woken.join(', ')}` : null);
      return { ...next, wakeupsMax, herd };
    },

    done: (c) => c.phase === 'done',
    faultable: (c) => c.phase !== 'done',
    invariants: lockInvariants(flags, names),
    witnesses: lockWitnesses(bounds, flags),
  };
}

function lockInvariants(flags: LockFlags, names: readonly string[]): Invariant<S>[] {
  const believers = (s: S, liveOnly: boolean) =>
    s.slots
      .map((slot, i) => ({ slot, i }))
      .filter(({ slot }) => slot.conn !== 'crashed' && holding(slot.c))
      .filter(({ slot }) => !liveOnly || (slot.session !== null && s.tree.sessions.some((x) => x.id === slot.session)));
  const who = (xs: ReturnType<typeof believers>) => xs.map(({ slot, i }) => `${names[i]} (session ${slot.session}, /lock/${slot.c.node})`).join(' and ');
  const out: Invariant<S>[] = [
    {
      name: 'MutualExclusion',
      check: (s) => {
        const xs = believers(s, true);
        return xs.length > 1 ? `${who(xs)} both hold the lock with live sessions` : undefined;
      },
    },
    { name: 'NoHerdEffect', check: (s) => s.world.herd ?? undefined },
    { name: 'NoLostUpdate', check: (s) => s.world.lost ?? undefined },
  ];
  if (flags.naiveClaim) {
    out.push({
      name: 'OneBelievedHolder',
      check: (s) => {
        const xs = believers(s, false);
        if (xs.length < 2) return undefined;
        const dead = xs.filter(({ slot }) => !s.tree.sessions.some((x) => x.id === slot.session)).map(({ i }) => names[i]);
        return `${who(xs)} both believe they hold the lock${dead.length > 0 ? ` (${dead.join(', ')}: session expired, not yet told)` : ''}`;
      },
    });
  }
  return out;
}

/** The witnesses the bounds make reachable: a second session needs a lost connection and a
 * second session in the budget; a stale token needs a holder cut off (a partition). */
function lockWitnesses(bounds: Bounds, flags: LockFlags): Witness<S>[] {
  const w = (name: string, what: LockSeen): Witness<S> => ({ name, holds: (s) => s.world.seen.includes(what) });
  const out = [
    w('a client acquires the lock', 'acquired'),
    w('a waiter acquires the lock after its predecessor goes', 'acquired after waiting'),
    w("a holder's session expires while it believes it holds the lock", 'holder expired'),
  ];
  if (bounds.partitionsMax > 0 && bounds.connectsMax > 1) out.push({ name: 'a client acquires the lock on a second session', holds: (s: S) => s.slots.some((x) => x.connects > 1 && holding(x.c)) });
  if (flags.fencing && bounds.partitionsMax > 0) out.push(w('the resource rejects a stale token', 'stale token rejected'));
  return out;
}
