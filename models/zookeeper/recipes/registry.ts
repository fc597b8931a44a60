// A service registry with client-side load balancing (Curator's ServiceDiscovery and
// ServiceCache): each server registers the ephemeral /services/s<k>; each router lists
// /services with a watch and routes to the child at its own index modulo the number of
// children (a deterministic spread: routers r0, r1, ... take servers in turn), and picks again
// on every NodeChildrenChanged. A server whose session expires (it crashed or was cut off) is
// removed by the server, which wakes the routers.
//
// Properties, checked once settled (every event and reply received, every due expiry
// processed): NoDeadRoute — no router with a live session is routed to a server that is not
// registered (a crashed or expired one); LoadSpread — with k registered servers and m routers,
// no server has more than ceil(m/k) routers. Bounds: the first `servers` clients are servers,
// the rest routers.

import type { Invariant, Witness } from '../../../src/core/model.ts';
import { OPEN_ACL_UNSAFE } from '../index.ts';
import { aliveAt, type Move, type Recipe, type RecipeState, type ServiceView } from './service.ts';

type Phase = 'register' | 'serving' | 'pick' | 'routed';

export interface RegistryClient {
  readonly phase: Phase;
  /** A router's server (a child of /services), null when none is registered. */
  readonly route: string | null;
}

export interface RegistryWorld {
  /** Whether a router picked again after a server's session expired (for the witness). */
  readonly repicked: boolean;
}

type S = RecipeState<RegistryClient, RegistryWorld>;

export interface RegistryFlags {
  /** Planted bug: a router lists /services once with a watch and never again. */
  readonly noRepick: boolean;
}

export function registryRecipe(servers: number, routers: number, flags: RegistryFlags, view: ServiceView): Recipe<RegistryClient, RegistryWorld> {
  const names = [...Array.from({ length: servers }, (_, k) => `s${k}`), ...Array.from({ length: routers }, (_, k) => `r${k}`)];
  const isServer = (i: number) => i < servers;
  return {
    clients: servers + routers,
    names,
    parents: ['/services'],
    initClient: (i) => (isServer(i) ? { phase: 'register', route: null } : { phase: 'pick', route: null }),
    world: { repicked: false },
    moves(c, i, session): Move[] {
      if (c.phase === 'register') return [{ kind: 'call', request: { kind: 'create', session, path: `/services/${names[i]}`, data: '', acl: OPEN_ACL_UNSAFE, mode: 'ephemeral' } }];
      if (c.phase === 'pick') return [{ kind: 'call', request: { kind: 'getChildren', session, path: '/services', watch: true } }];
      return [];
    },
    onReply(c, w, i, _label, r) {
      if (c.phase === 'register') return [{ ...c, phase: 'serving' }, w];
      if (c.phase === 'pick' && r.kind === 'children') {
        const route = r.children.length === 0 ? null : r.children[(i - servers) % r.children.length];
        return [{ phase: 'routed', route }, { repicked: w.repicked || (c.route !== null && c.route !== route) }];
      }
      throw new Error(`${names[i]} got ${r.kind} in phase ${c.phase}`);
    },
    onEvent(c, w, _i, e) {
      if (flags.noRepick || c.phase !== 'routed' || e.type !== 'NodeChildrenChanged') return [c, w];
      return [{ ...c, phase: 'pick' }, w];
    },
    onConnectionLoss: (c, w) => [c, w],
    onExpired: (c, w, i) => [isServer(i) ? { phase: 'register', route: null } : { ...c, phase: 'pick' }, w],
    onLocal: () => {
      throw new Error('the registry has no local steps');
    },
    done: (c) => c.phase === 'serving' || c.phase === 'routed',
    invariants: registryInvariants(names, servers, view),
    witnesses: [
      { name: 'every router is routed to a server', holds: (s) => s.slots.every((x, i) => isServer(i) || x.c.route !== null) },
      { name: 'both servers take a router', holds: (s) => new Set(s.slots.filter((_, i) => !isServer(i)).map((x) => x.c.route).filter((r) => r !== null)).size > 1 },
      { name: 'a router picks another server after its server went', holds: (s) => s.world.repicked },
    ] satisfies Witness<S>[],
  };
}

function registryInvariants(names: readonly string[], servers: number, view: ServiceView): Invariant<S>[] {
  const routers = (s: S) => s.slots.map((x, i) => ({ x, i })).filter(({ x, i }) => i >= servers && x.conn !== 'crashed' && aliveAt(s, i));
  return [
    {
      name: 'NoDeadRoute',
      check: (s) => {
        if (!view.settled(s as RecipeState<unknown, unknown>)) return undefined;
        const registered = s.tree.nodes['/services'].children;
        const bad = routers(s).find(({ x }) => x.c.route !== null && !registered.includes(x.c.route));
        if (bad === undefined) return undefined;
        const k = names.indexOf(bad.x.c.route!);
        const why = s.slots[k].conn === 'crashed' ? 'crashed, its session expired' : 'its session expired';
        return `${names[bad.i]} is routed to ${bad.x.c.route} (${why}), which /services no longer lists: [${registered.join(', ')}]`;
      },
    },
    {
      name: 'LoadSpread',
      check: (s) => {
        if (!view.settled(s as RecipeState<unknown, unknown>)) return undefined;
        const registered = s.tree.nodes['/services'].children;
        const rs = routers(s);
        if (registered.length === 0) return undefined;
        const bound = Math.ceil(rs.length / registered.length);
        for (const server of registered) {
          const load = rs.filter(({ x }) => x.c.route === server).map(({ i }) => names[i]);
          if (load.length > bound) return `${server} has ${load.length} routers (${load.join(', ')}), more than ceil(${rs.length}/${registered.length}) = ${bound}`;
        }
        return undefined;
      },
    },
  ];
}
