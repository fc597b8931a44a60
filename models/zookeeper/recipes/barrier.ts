// A barrier (the ZooKeeper recipes page, "Double Barriers", its enter half): each of the N
// clients creates the ephemeral /barrier/c<i> and lists /barrier; the client that sees all N
// creates /barrier/ready, and every client passes once /barrier/ready exists (exists with a
// watch, then the NodeCreated event). A client whose session expires loses its node and enters
// again on its new session; a ConnectionLoss on its create is retried (NodeExists: the node is
// its own, as ephemerals of an expired session are gone before it has a new one).
//
// Properties: NobodyPassesEarly — when a client passes, every client has entered (created its
// node) at some point. A client that crashes before entering holds the others at the barrier
// for good: such runs may end with the others waiting (that is what a barrier does).

import type { Invariant, Witness } from '../../../src/core/model.ts';
import { OPEN_ACL_UNSAFE } from '../index.ts';
import { type Move, type Recipe, type RecipeState } from './service.ts';

type Phase = 'enter' | 'count' | 'ready' | 'wait' | 'waiting' | 'passed';

export interface BarrierClient {
  readonly phase: Phase;
}

export interface BarrierWorld {
  /** Clients whose node was created at some point, sorted. */
  readonly entered: readonly number[];
  /** The first early pass, in words. */
  readonly early: string | null;
  readonly woken: boolean;
}

type S = RecipeState<BarrierClient, BarrierWorld>;

export interface BarrierFlags {
  /** Planted bug: the client counts itself once more (children + 1) when deciding that all have entered. */
  readonly countsSelfTwice: boolean;
}

export function barrierRecipe(clients: number, flags: BarrierFlags): Recipe<BarrierClient, BarrierWorld> {
  const names = Array.from({ length: clients }, (_, i) => `c${i}`);
  const pass = (w: BarrierWorld, i: number, woken: boolean): [BarrierClient, BarrierWorld] => {
    const missing = names.filter((_, k) => !w.entered.includes(k));
    const early = w.early ?? (missing.length > 0 ? `${names[i]} passed the barrier before ${missing.join(', ')} entered` : null);
    return [{ phase: 'passed' }, { ...w, early, woken: w.woken || woken }];
  };
  return {
    clients,
    names,
    parents: ['/barrier'],
    initClient: () => ({ phase: 'enter' }),
    world: { entered: [], early: null, woken: false },
    moves(c, i, session): Move[] {
      switch (c.phase) {
        case 'enter':
          return [{ kind: 'call', request: { kind: 'create', session, path: `/barrier/${names[i]}`, data: '', acl: OPEN_ACL_UNSAFE, mode: 'ephemeral' } }];
        case 'count':
          return [{ kind: 'call', request: { kind: 'getChildren', session, path: '/barrier', watch: false } }];
        case 'ready':
          return [{ kind: 'call', request: { kind: 'create', session, path: '/barrier/ready', data: '', acl: OPEN_ACL_UNSAFE, mode: 'persistent' } }];
        case 'wait':
          return [{ kind: 'call', request: { kind: 'exists', session, path: '/barrier/ready', watch: true } }];
        default:
          return [];
      }
    },
    onReply(c, w, i, _label, r) {
      switch (c.phase) {
        case 'enter':
          return [{ phase: 'count' }, w];
        case 'count': {
          if (r.kind !== 'children') throw new Error(`getChildren /barrier answered ${r.kind}`);
          if (r.children.includes('ready')) return pass(w, i, false);
          const members = r.children.length + (flags.countsSelfTwice ? 1 : 0);
          return [{ phase: members >= clients ? 'ready' : 'wait' }, w];
        }
        case 'ready':
          return pass(w, i, false);
        case 'wait':
          return r.kind === 'stat' ? pass(w, i, false) : [{ phase: 'waiting' }, w];
        default:
          throw new Error(`${names[i]} got a reply in phase ${c.phase}`);
      }
    },
    onEvent(c, w, i, e) {
      return c.phase === 'waiting' && e.type === 'NodeCreated' && e.path === '/barrier/ready' ? pass(w, i, true) : [c, w];
    },
    onConnectionLoss: (c, w) => [c, w],
    // The node went with the session: enter again (a client that passed stays passed).
    onExpired: (c, w) => [c.phase === 'passed' ? c : { phase: 'enter' }, w],
    onLocal: () => {
      throw new Error('the barrier has no local steps');
    },
    onApplied(w, i, request, r) {
      if (request.kind !== 'create' || r.response.kind !== 'created' || request.path === '/barrier/ready' || w.entered.includes(i)) return w;
      return { ...w, entered: [...w.entered, i].sort((a, b) => a - b) };
    },
    done: (c) => c.phase === 'passed',
    faultable: (c) => c.phase !== 'passed',
    // A run may end with clients waiting at the barrier when another crashed or gave up
    // before it could pass.
    final: (s) => {
      const out = (k: number) => s.slots[k].conn === 'crashed' || s.slots[k].session === null;
      const blocked = s.slots.some((x, k) => out(k) && x.c.phase !== 'passed');
      return s.slots.every((x, k) => out(k) || x.c.phase === 'passed' || (blocked && x.c.phase === 'waiting'));
    },
    invariants: barrierInvariants(),
    witnesses: barrierWitnesses(clients),
  };
}

function barrierInvariants(): Invariant<S>[] {
  return [{ name: 'NobodyPassesEarly', check: (s) => s.world.early ?? undefined }];
}

function barrierWitnesses(clients: number): Witness<S>[] {
  return [
    { name: 'every client passes the barrier', holds: (s) => s.slots.filter((x) => x.c.phase === 'passed').length === clients },
    { name: 'a waiting client passes on the NodeCreated of /barrier/ready', holds: (s) => s.world.woken },
  ];
}
