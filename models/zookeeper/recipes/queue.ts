// A distributed FIFO queue (the ZooKeeper recipes page, "Queues"): the producer creates
// persistent-sequential items /queue/p<k>-<seq>; a consumer lists /queue, takes the item with
// the lowest sequence number and tries the next listing when another consumer beat it to it.
// Taking is one multi [delete /queue/x, create /done/x with the consumer's name], so that a
// consumer whose connection dropped during the take can look at /done/x and know whether the
// item is its own (a plain delete cannot tell a lost reply from a lost request). The producer
// names its items p<k>- for the same reason: after a ConnectionLoss on a create it looks for
// p<k>- under /queue and /done before producing item k again. A consumer that finds the queue
// empty sets a watch on its children and waits, unless /done already holds every item.
//
// Properties: FifoOrder — an item is taken only when no item with a lower sequence number is
// left in /queue; DeliveredOnce — no item is delivered (the consumer learns it took it) twice;
// NothingLost — once settled (every reply and event received, every due expiry processed),
// each produced item is in /queue, delivered, or in /done taken by a consumer that crashed or
// gave up (no session left in its budget): it is recoverable from /done, never silently gone.
// Bounds: one producer of two items, the other clients consume.

import type { Invariant, Witness } from '../../../src/core/model.ts';
import { childName, OPEN_ACL_UNSAFE } from '../index.ts';
import { bySequence, sequenceOf, type Move, type Recipe, type RecipeState, type ServiceView } from './service.ts';

export const QUEUE_ITEMS = 2;

type Phase =
  | { readonly kind: 'put' | 'findQueued' | 'findDone'; readonly k: number }
  | { readonly kind: 'list' | 'count' | 'waiting' | 'done' }
  | { readonly kind: 'take' | 'recover'; readonly item: string };

export interface QueueClient {
  readonly phase: Phase;
  /** An event on /queue arrived while it was not waiting: list again instead of waiting. */
  readonly kicked: boolean;
}

export interface QueueWorld {
  /** Items created under /queue (names), in creation order. */
  readonly produced: readonly string[];
  /** Deliveries, in order: item name and consumer. */
  readonly delivered: readonly { readonly item: string; readonly client: number }[];
  /** The first out-of-order take, in words. */
  readonly unordered: string | null;
  /** Whether a waiting consumer was woken by a new item (for the witness). */
  readonly woken: boolean;
}

type S = RecipeState<QueueClient, QueueWorld>;

export interface QueueFlags {
  /** Planted bug: take with a plain delete; after a ConnectionLoss assume the item was not taken. */
  readonly plainDelete: boolean;
  /** Planted bug: after a ConnectionLoss on its take, a consumer assumes the take applied. */
  readonly assumeTaken: boolean;
}

export function queueRecipe(clients: number, flags: QueueFlags, view: ServiceView): Recipe<QueueClient, QueueWorld> {
  const names = Array.from({ length: clients }, (_, i) => (i === 0 ? 'producer' : `c${i}`));
  const deliver = (c: QueueClient, w: QueueWorld, i: number, item: string): [QueueClient, QueueWorld] => [
    { ...c, phase: { kind: 'list' } },
    { ...w, delivered: [...w.delivered, { item, client: i }] },
  ];
  const listed = (c: QueueClient, w: QueueWorld, children: readonly string[]): [QueueClient, QueueWorld] =>
    children.length > 0 ? [{ ...c, phase: { kind: 'take', item: bySequence(children)[0] }, kicked: false }, w] : [{ ...c, phase: { kind: 'count' }, kicked: false }, w];
  return {
    clients,
    names,
    parents: ['/queue', '/done'],
    initClient: (i) => ({ phase: i === 0 ? { kind: 'put', k: 0 } : { kind: 'list' }, kicked: false }),
    world: { produced: [], delivered: [], unordered: null, woken: false },
    moves(c, i, session): Move[] {
      const p = c.phase;
      switch (p.kind) {
        case 'put':
          return [{ kind: 'call', request: { kind: 'create', session, path: `/queue/p${p.k}-`, data: `item ${p.k}`, acl: OPEN_ACL_UNSAFE, mode: 'persistent-sequential' } }];
        case 'findQueued':
          return [{ kind: 'call', request: { kind: 'getChildren', session, path: '/queue', watch: false } }];
        case 'findDone':
          return [{ kind: 'call', request: { kind: 'getChildren', session, path: '/done', watch: false } }];
        case 'list':
          return [{ kind: 'call', request: { kind: 'getChildren', session, path: '/queue', watch: true } }];
        case 'count':
          return [{ kind: 'call', request: { kind: 'getChildren', session, path: '/done', watch: false } }];
        case 'take':
          if (flags.plainDelete) return [{ kind: 'call', request: { kind: 'delete', session, path: `/queue/${p.item}`, version: -1 } }];
          return [{
            kind: 'call',
            request: { kind: 'multi', session, ops: [{ kind: 'delete', path: `/queue/${p.item}`, version: -1 }, { kind: 'create', path: `/done/${p.item}`, data: names[i], acl: OPEN_ACL_UNSAFE, mode: 'persistent' }] },
          }];
        case 'recover':
          return [{ kind: 'call', request: { kind: 'getData', session, path: `/done/${p.item}`, watch: false } }];
        case 'waiting':
        case 'done':
          return [];
      }
    },
    onReply(c, w, i, _label, r) {
      const p = c.phase;
      const has = (k: number) => r.kind === 'children' && r.children.some((x) => x.startsWith(`p${k}-`));
      switch (p.kind) {
        case 'put':
          if (r.kind !== 'created') throw new Error(`producer create answered ${r.kind}`);
          return [{ ...c, phase: p.k + 1 < QUEUE_ITEMS ? { kind: 'put', k: p.k + 1 } : { kind: 'done' } }, w];
        case 'findQueued':
        case 'findDone': {
          const next: Phase = p.k + 1 < QUEUE_ITEMS ? { kind: 'put', k: p.k + 1 } : { kind: 'done' };
          if (has(p.k)) return [{ ...c, phase: next }, w];
          return [{ ...c, phase: p.kind === 'findQueued' ? { kind: 'findDone', k: p.k } : { kind: 'put', k: p.k } }, w];
        }
        case 'list':
          if (r.kind !== 'children') throw new Error(`getChildren /queue answered ${r.kind}`);
          return listed(c, w, r.children);
        case 'count':
          if (r.kind !== 'children') throw new Error(`getChildren /done answered ${r.kind}`);
          if (r.children.length >= QUEUE_ITEMS) return [{ ...c, phase: { kind: 'done' } }, w];
          return [{ ...c, phase: c.kicked ? { kind: 'list' } : { kind: 'waiting' }, kicked: false }, w];
        case 'take': {
          const ok = flags.plainDelete ? r.kind === 'ok' : r.kind === 'multi' && r.results.every((x) => x.kind !== 'error');
          return ok ? deliver(c, w, i, p.item) : [{ ...c, phase: { kind: 'list' } }, w];
        }
        case 'recover':
          return r.kind === 'data' && r.data === names[i] ? deliver(c, w, i, p.item) : [{ ...c, phase: { kind: 'list' } }, w];
        default:
          throw new Error(`${names[i]} got a reply in phase ${p.kind}`);
      }
    },
    onEvent(c, w, _i, e) {
      if (e.type !== 'NodeChildrenChanged' || e.path !== '/queue') return [c, w];
      if (c.phase.kind === 'waiting') return [{ ...c, phase: { kind: 'list' } }, { ...w, woken: true }];
      return c.phase.kind === 'count' ? [{ ...c, kicked: true }, w] : [c, w];
    },
    onConnectionLoss(c, w, i, inflight) {
      const p = c.phase;
      if (inflight === null) return [c, w];
      if (p.kind === 'put') return [{ ...c, phase: { kind: 'findQueued', k: p.k } }, w];
      if (p.kind === 'take' && flags.assumeTaken) return deliver(c, w, i, p.item);
      if (p.kind === 'take') return [{ ...c, phase: flags.plainDelete ? { kind: 'list' } : { kind: 'recover', item: p.item } }, w];
      return [c, w];
    },
    // Items are persistent: a new session goes on where the old one was (a consumer waiting
    // lists again, since its watch died with the session).
    onExpired: (c, w) => [c.phase.kind === 'waiting' ? { ...c, phase: { kind: 'list' } } : c, w],
    onLocal: () => {
      throw new Error('the queue has no local steps');
    },
    onApplied(w, _i, request, r, before) {
      let next = w;
      if (r.response.kind === 'created' && r.response.path.startsWith('/queue/')) next = { ...next, produced: [...next.produced, childName(r.response.path)] };
      const taken = request.kind === 'delete' ? request.path : request.kind === 'multi' && r.response.kind === 'multi' && r.response.results.every((x) => x.kind !== 'error') ? request.ops[0].path : undefined;
      if (taken !== undefined && next.unordered === null && r.state.nodes[taken] === undefined && before.nodes[taken] !== undefined) {
        const older = before.nodes['/queue'].children.filter((x) => sequenceOf(x) < sequenceOf(childName(taken)));
        if (older.length > 0) next = { ...next, unordered: `${taken} was taken while ${older.map((x) => `/queue/${x}`).join(', ')} was still queued` };
      }
      return next;
    },
    done: (c) => c.phase.kind === 'done' || c.phase.kind === 'waiting',
    invariants: queueInvariants(names, view),
    witnesses: queueWitnesses(clients),
  };
}

function queueInvariants(names: readonly string[], view: ServiceView): Invariant<S>[] {
  return [
    { name: 'FifoOrder', check: (s) => s.world.unordered ?? undefined },
    {
      name: 'DeliveredOnce',
      check: (s) => {
        const d = s.world.delivered;
        const twice = d.find((x, k) => d.findIndex((y) => y.item === x.item) < k);
        if (twice === undefined) return undefined;
        const first = d.find((y) => y.item === twice.item)!;
        return `/queue/${twice.item} was delivered to ${names[first.client]} and again to ${names[twice.client]}`;
      },
    },
    {
      name: 'NothingLost',
      check: (s) => {
        if (!view.settled(s as RecipeState<unknown, unknown>)) return undefined;
        for (const item of s.world.produced) {
          if (s.tree.nodes[`/queue/${item}`] !== undefined || s.world.delivered.some((x) => x.item === item)) continue;
          const done = s.tree.nodes[`/done/${item}`];
          const taker = done === undefined ? -1 : names.indexOf(done.data);
          if (taker >= 0 && (s.slots[taker].conn === 'crashed' || s.slots[taker].session === null)) continue;
          return done === undefined
            ? `/queue/${item} was produced, is no longer queued, and was delivered to no one`
            : `/queue/${item} was taken by ${done.data}, which never learned it and is still running`;
        }
        return undefined;
      },
    },
  ];
}

function queueWitnesses(clients: number): Witness<S>[] {
  return [
    { name: 'every item is delivered', holds: (s) => s.world.delivered.length === QUEUE_ITEMS },
    ...(clients > 2 ? [{ name: 'two consumers each get an item', holds: (s: S) => new Set(s.world.delivered.map((x) => x.client)).size > 1 }] : []),
    { name: 'a consumer waits on an empty queue and is woken by a new item', holds: (s) => s.world.woken },
  ];
}
