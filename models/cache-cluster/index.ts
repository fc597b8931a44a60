// A cache cluster routed by consistent hashing (src/hashing): a membership service `m` holds the
// list of cache nodes and its version; cache nodes join and leave (a bounded number of
// changes), and `m` sends every router the new view. Routers (the clients' proxies) look keys
// up on the ring of the view they hold and send Get to that cache node, which serves it; the
// router records which node served each key under which view version.
//
// Checked: a key served under the current view was served by the node the ring of the current
// membership names (ServedByRingOwner). While a view is in flight a router may still route by
// the previous one, and its record then carries the previous version: that is allowed (the
// cache it asked served it, as caches do during a rebalance), so the property is about routers
// that claim to be current. Planted bug: a router that takes a view's version but keeps its
// old member list (a stale ring) serves a moved key from its old owner.

import type { ModelDefinition, Params } from '../../src/core/model.ts';
import { actorSystem, type HandlerResult, type NodeInput, type NodeSpec, type SystemState } from '../../src/core/actors.ts';
import { murmur32 } from '../../src/hashing/hash.ts';
import { ringPlacement } from '../../src/hashing/placement.ts';

export type Msg =
  | { readonly type: 'View'; readonly version: number; readonly members: readonly string[] }
  | { readonly type: 'Get'; readonly key: string }
  | { readonly type: 'Served'; readonly key: string };

interface Membership {
  readonly role: 'membership';
  readonly version: number;
  readonly members: readonly string[];
  readonly changes: number;
}

interface Router {
  readonly role: 'router';
  readonly version: number;
  readonly members: readonly string[];
  /** The key being fetched, if any, with the view version it was routed under. */
  readonly pending: { readonly key: string; readonly version: number } | null;
  /** Per key, the node that last served it and the view version it was routed under. */
  readonly served: readonly { readonly key: string; readonly by: string; readonly version: number }[];
}

interface Cache {
  readonly role: 'cache';
}

type Node = Membership | Router | Cache;
type Result = HandlerResult<Node, Msg, never, never>;

export type CacheVariant = 'default' | 'stale-ring';

const CACHES = ['c1', 'c2', 'c3'];
// k0 stays on c1 when c3 joins; k3 moves to c3 (and to c2 when only c2 is left).
const KEYS = ['k0', 'k3'];
const VIRTUAL_NODES = 8;

/** The node the ring of `members` names for `key`. */
export function ownerOf(members: readonly string[], key: string): string {
  return ringPlacement(members, murmur32, VIRTUAL_NODES).lookup(key);
}

function membership(changesMax: number): NodeSpec<Node, Msg, never, never, never> {
  return {
    init: () => ({ state: { role: 'membership', version: 0, members: ['c1', 'c2'], changes: 0 } }),
    internal: (s) => {
      if (s.role !== 'membership' || s.changes >= changesMax) return [];
      return CACHES.map((c) => (s.members.includes(c) ? (s.members.length > 1 ? `leave ${c}` : '') : `join ${c}`)).filter((x) => x !== '');
    },
    handle: (s, input: NodeInput<Msg, never>, ctx): Result => {
      if (s.role !== 'membership' || input.kind !== 'internal') return { state: s };
      const [verb, node] = input.choice.split(' ');
      const members = verb === 'join' ? [...s.members, node].sort() : s.members.filter((c) => c !== node);
      const next: Membership = { role: 'membership', version: s.version + 1, members, changes: s.changes + 1 };
      const routers = ctx.nodes.filter((id) => id.startsWith('r'));
      return { state: next, effects: routers.map((to) => ({ kind: 'send' as const, to, msg: { type: 'View' as const, version: next.version, members } })) };
    },
  };
}

function router(stale: boolean): NodeSpec<Node, Msg, never, never, never> {
  return {
    init: () => ({ state: { role: 'router', version: 0, members: ['c1', 'c2'], pending: null, served: [] } }),
    internal: (s) => (s.role === 'router' && s.pending === null ? KEYS.map((k) => `get ${k}`) : []),
    handle: (s, input: NodeInput<Msg, never>): Result => {
      if (s.role !== 'router') return { state: s };
      if (input.kind === 'internal') {
        const key = input.choice.slice('get '.length);
        return { state: { ...s, pending: { key, version: s.version } }, effects: [{ kind: 'send', to: ownerOf(s.members, key), msg: { type: 'Get', key } }] };
      }
      if (input.kind !== 'receive') return { state: s };
      const msg = input.msg;
      if (msg.type === 'View') {
        if (msg.version <= s.version) return { state: s };
        // The planted bug takes the version and keeps its old ring.
        return { state: { ...s, version: msg.version, members: stale ? s.members : msg.members } };
      }
      if (msg.type === 'Served' && s.pending !== null && s.pending.key === msg.key) {
        const record = { key: msg.key, by: input.from, version: s.pending.version };
        const served = [...s.served.filter((r) => r.key !== msg.key), record].sort((a, b) => (a.key < b.key ? -1 : 1));
        return { state: { ...s, pending: null, served } };
      }
      return { state: s };
    },
  };
}

const cache: NodeSpec<Node, Msg, never, never, never> = {
  init: () => ({ state: { role: 'cache' } }),
  handle: (s, input) => (input.kind === 'receive' && input.msg.type === 'Get' ? { state: s, effects: [{ kind: 'send', to: input.from, msg: { type: 'Served', key: input.msg.key } }] } : { state: s }),
};

type State = SystemState<Node, Msg, never, never, never>;

export function cacheCluster(params: Params, variant: CacheVariant = 'default') {
  const routers = Array.from({ length: params.routers }, (_, i) => `r${i}`);
  const nodes = [
    { id: 'm', spec: membership(params.changesMax) },
    ...CACHES.map((id) => ({ id, spec: cache })),
    ...routers.map((id, i) => ({ id, spec: router(variant === 'stale-ring' && i === routers.length - 1) })),
  ];
  const current = (s: State) => s.nodes[0].state as Membership;
  return actorSystem<Node, Msg, never, never, never>({
    nodes,
    network: 'unordered',
    faults: { dropsMax: params.dropsMax },
    invariants: [
      {
        name: 'ServedByRingOwner',
        check: (s) => {
          const m = current(s);
          for (const [i, slot] of s.nodes.entries()) {
            const r = slot.state;
            if (r?.role !== 'router') continue;
            for (const rec of r.served) {
              const owner = ownerOf(m.members, rec.key);
              if (rec.version === m.version && rec.by !== owner) {
                return `${nodes[i].id} got ${rec.key} from ${rec.by} under view ${rec.version} (members ${m.members.join(',')}), whose ring names ${owner}`;
              }
            }
          }
          return undefined;
        },
      },
    ],
    sometimes: [
      { name: 'a key moves to a joining node and is served there', holds: (s) => s.nodes.some((n) => n.state?.role === 'router' && n.state.served.some((r) => r.by === 'c3')) },
      { name: 'a key is served under a changed view', holds: (s) => s.nodes.some((n) => n.state?.role === 'router' && n.state.served.some((r) => r.version > 0)) },
    ],
    isFinal: () => true,
    describeMessage: (m) => (m.type === 'View' ? `View v${m.version} [${m.members.join(',')}]` : `${m.type} ${m.key}`),
  });
}

export const cacheClusterDefinition: ModelDefinition = {
  name: 'cache-cluster',
  summary: 'a cache cluster routed by a consistent-hash ring (src/hashing); nodes join and leave, routers follow the membership',
  source: 'Karger et al., "Consistent hashing and random trees" (STOC 1997), as used by cache clusters',
  params: [
    { name: 'routers', description: 'client-side routers', default: 1, min: 1, max: 3 },
    { name: 'changesMax', description: 'membership changes (joins and leaves)', default: 2, min: 0, max: 4 },
    { name: 'dropsMax', description: 'messages lost (a lost View leaves its router behind)', default: 0, min: 0, max: 2 },
  ],
  variants: [
    { name: 'default', description: 'routers route by the ring of the latest view they received', expect: { status: 'holds' } },
    { name: 'stale-ring', description: 'bug: the last router takes a new view\'s version but keeps its old ring', expect: { status: 'violation', property: 'ServedByRingOwner' } },
  ],
  scenarios: [
    { kind: 'safety', name: 'two-routers-one-change', description: 'two routers, one join or leave, a lost view', params: { routers: 2, changesMax: 1, dropsMax: 1 }, expect: { status: 'holds' } },
    { kind: 'safety', name: 'lost-views', description: 'one router, two changes, two lost views', params: { dropsMax: 2 }, expect: { status: 'holds' } },
  ],
  create: (params, variant) => cacheCluster(params, variant as CacheVariant),
};
