// Master (leader) election with one ephemeral znode (the ZooKeeper recipes page, "Leader
// Election", in its simplest form, as Curator's LeaderLatch and many services do it): every
// candidate tries to create /master (ephemeral); the one that succeeds is master of the epoch
// given by the node's czxid; the others set a watch on /master with exists and try again when
// it is deleted, which happens when the master's session expires. After a ConnectionLoss on
// its create a candidate does not know whether it created /master: it reads /master's Stat and
// is master only if the node's ephemeralOwner is its own session.
//
// Properties: OneMasterPerEpoch — no two clients (that have not crashed) act as master of the
// same epoch, whatever their sessions; OneLiveMaster — at most one of them has a live session;
// MasterOwnsNode — a master with a live session owns /master, created in its epoch. A master
// whose session expired may still act until it reconnects (as with the lock); its epoch is
// older than its successor's, which is what a fenced resource needs.

import type { Invariant, Witness } from '../../../src/core/model.ts';
import { OPEN_ACL_UNSAFE } from '../index.ts';
import { aliveAt, type Move, type Recipe, type RecipeState } from './service.ts';

type Phase = 'start' | 'watch' | 'waiting' | 'master';

export interface Candidate {
  readonly phase: Phase;
  /** The master's epoch (the czxid of its /master), 0 when not master. */
  readonly epoch: number;
  /** Whether its last create was lost with the connection (it may own /master). */
  readonly lostCreate: boolean;
}

export interface ElectionWorld {
  /** Epochs some client became master of, ascending. */
  readonly epochs: readonly number[];
}

type S = RecipeState<Candidate, ElectionWorld>;

export interface ElectionFlags {
  /** Planted bug: after a lost create, a candidate that finds /master takes it as its own
   * without comparing its ephemeralOwner with its session. */
  readonly ownerUnchecked: boolean;
}

const START: Candidate = { phase: 'start', epoch: 0, lostCreate: false };

export function electionRecipe(clients: number, flags: ElectionFlags): Recipe<Candidate, ElectionWorld> {
  const names = Array.from({ length: clients }, (_, i) => `c${i}`);
  const becomeMaster = (c: Candidate, w: ElectionWorld, epoch: number): [Candidate, ElectionWorld] => [
    { phase: 'master', epoch, lostCreate: false },
    { epochs: w.epochs.includes(epoch) ? w.epochs : [...w.epochs, epoch].sort((a, b) => a - b) },
  ];
  return {
    clients,
    names,
    parents: [],
    initClient: () => START,
    world: { epochs: [] },
    moves(c, i, session): Move[] {
      switch (c.phase) {
        case 'start':
          return [{ kind: 'call', request: { kind: 'create', session, path: '/master', data: names[i], acl: OPEN_ACL_UNSAFE, mode: 'ephemeral' } }];
        case 'watch':
          return [{ kind: 'call', request: { kind: 'exists', session, path: '/master', watch: true } }];
        default:
          return [];
      }
    },
    onReply(c, w, i, _label, r, session) {
      if (c.phase === 'start') {
        if (r.kind === 'created') return becomeMaster(c, w, r.stat.czxid);
        if (r.kind === 'error' && r.code === 'NodeExists') return [{ ...c, phase: 'watch' }, w];
        throw new Error(`${names[i]}: create /master answered ${r.kind}`);
      }
      if (c.phase === 'watch') {
        if (r.kind === 'error') return [{ ...START }, w];
        if (r.kind !== 'stat') throw new Error(`${names[i]}: exists /master answered ${r.kind}`);
        const mine = r.stat.ephemeralOwner === session || (flags.ownerUnchecked && c.lostCreate);
        return mine ? becomeMaster(c, w, r.stat.czxid) : [{ ...c, phase: 'waiting', lostCreate: false }, w];
      }
      throw new Error(`${names[i]} got a reply in phase ${c.phase}`);
    },
    onEvent(c, w, _i, e) {
      return c.phase === 'waiting' && e.type === 'NodeDeleted' && e.path === '/master' ? [START, w] : [c, w];
    },
    onConnectionLoss(c, w, _i, inflight) {
      if (inflight !== null && c.phase === 'start') return [{ ...c, phase: 'watch', lostCreate: true }, w];
      return [c, w];
    },
    // A master that learns its session expired stops being master and runs again.
    onExpired: (_c, w) => [START, w],
    onLocal: () => {
      throw new Error('the election has no local steps');
    },
    done: (c) => c.phase === 'master' || c.phase === 'waiting',
    invariants: electionInvariants(names),
    witnesses: electionWitnesses(),
  };
}

function electionInvariants(names: readonly string[]): Invariant<S>[] {
  const masters = (s: S) => s.slots.map((slot, i) => ({ slot, i })).filter(({ slot }) => slot.conn !== 'crashed' && slot.c.phase === 'master');
  return [
    {
      name: 'OneMasterPerEpoch',
      check: (s) => {
        const ms = masters(s);
        for (const a of ms) {
          const b = ms.find((x) => x.i > a.i && x.slot.c.epoch === a.slot.c.epoch);
          if (b !== undefined) {
            const owner = s.tree.nodes['/master']?.stat.ephemeralOwner;
            return `${names[a.i]} (session ${a.slot.session}) and ${names[b.i]} (session ${b.slot.session}) both act as master of epoch ${a.slot.c.epoch}${owner === undefined ? '' : ` (/master is owned by session ${owner})`}`;
          }
        }
        return undefined;
      },
    },
    {
      name: 'OneLiveMaster',
      check: (s) => {
        const live = masters(s).filter(({ i }) => aliveAt(s, i));
        return live.length > 1 ? `${live.map(({ slot, i }) => `${names[i]} (session ${slot.session}, epoch ${slot.c.epoch})`).join(' and ')} are masters with live sessions` : undefined;
      },
    },
    {
      name: 'MasterOwnsNode',
      check: (s) => {
        for (const { slot, i } of masters(s)) {
          if (!aliveAt(s, i)) continue;
          const node = s.tree.nodes['/master'];
          if (node === undefined || node.stat.ephemeralOwner !== slot.session || node.stat.czxid !== slot.c.epoch) {
            const has = node === undefined ? 'there is no /master' : `/master has czxid ${node.stat.czxid} and owner session ${node.stat.ephemeralOwner}`;
            return `${names[i]} acts as master of epoch ${slot.c.epoch} on live session ${slot.session}, but ${has}`;
          }
        }
        return undefined;
      },
    },
  ];
}

function electionWitnesses(): Witness<S>[] {
  return [
    { name: 'a client becomes master', holds: (s) => s.world.epochs.length > 0 },
    { name: "a new master is elected after the old master's session expires", holds: (s) => s.world.epochs.length > 1 },
  ];
}
