// Gossip: anti-entropy between random peers (Demers et al., "Epidemic algorithms for replicated
// database maintenance", PODC 1987) replicating one versioned value. A node writes (a local
// choice, within a budget) and, at any time, picks a peer to exchange with: push (send my
// value), pull (ask for yours), or push-pull (send mine, the peer answers with its own when it
// differs). Values merge as:
// - last-writer-wins (versioned = 0): the larger (version, writer) wins; a write takes the
//   version above the node's current one. Two concurrent writes: one is lost.
// - vector clocks (versioned = 1): a value is a set of siblings, each with a vector clock; a
//   merge keeps the siblings no other dominates, so concurrent writes are both kept; a write
//   replaces the node's siblings with one whose clock dominates them all.
// Messages travel on a `set` network (a value sent twice is one message), so the state space is
// finite though exchanges never stop. Faults: drops, crashes (a node keeps its value on disk),
// partitions.
//
// Checked: a node's value never goes back (Monotone, against a ghost high-water mark kept
// outside the merge under test); liveness: once writes and faults stop, every node ends with the
// same value (exchanges are local choices, weakly fair). Planted bugs: a merge that keeps the
// older value; a node that never starts an exchange — under push it matters when it holds the
// newest value (it never gives it away), under pull when it lacks it (it never asks).

import type { ModelDefinition, Params } from '../../src/core/model.ts';
import { actorSystem, type HandlerResult, type NodeContext, type NodeInput, type NodeSpec, type SystemState } from '../../src/core/actors.ts';

export interface Sibling {
  readonly value: string;
  /** Last-writer-wins: [version] plus `writer`; vector clocks: one counter per node. */
  readonly clock: readonly number[];
  readonly writer: string;
}

export interface GossipNode {
  /** Siblings, sorted (one under last-writer-wins). Empty before any value arrives. */
  readonly siblings: readonly Sibling[];
  readonly wrote: boolean;
  /** Ghost, kept by the node wrapper, not by the merge: the largest value this node has held
   * under last-writer-wins, or the union of clocks it has covered under vector clocks. */
  readonly high: readonly number[];
}

export type Msg = { readonly type: 'Push'; readonly siblings: readonly Sibling[] } | { readonly type: 'Pull' } | { readonly type: 'Reply'; readonly siblings: readonly Sibling[] };

export type GossipVariant = 'default' | 'merge-keeps-older' | 'silent-node';
type Mode = 'push' | 'pull' | 'push-pull';
const MODES: readonly Mode[] = ['push', 'pull', 'push-pull'];

interface Config {
  readonly mode: Mode;
  readonly vectorClocks: boolean;
  readonly variant: GossipVariant;
  readonly writers: readonly string[];
  readonly ids: readonly string[];
}

const compareSiblings = (a: Sibling, b: Sibling) => (a.writer + a.value + a.clock.join(',') < b.writer + b.value + b.clock.join(',') ? -1 : 1);

/** Last-writer-wins order: (version, writer). */
function lwwLess(a: Sibling, b: Sibling): boolean {
  return a.clock[0] < b.clock[0] || (a.clock[0] === b.clock[0] && a.writer < b.writer);
}

const dominates = (a: readonly number[], b: readonly number[]) => a.every((x, i) => x >= b[i]) && a.some((x, i) => x > b[i]);
const sameClock = (a: readonly number[], b: readonly number[]) => a.every((x, i) => x === b[i]);

export function merge(cfg: Config, mine: readonly Sibling[], theirs: readonly Sibling[]): readonly Sibling[] {
  if (!cfg.vectorClocks) {
    const all = [...mine, ...theirs];
    if (all.length === 0) return mine;
    // The planted bug keeps the older of the two.
    const pick = all.reduce((a, b) => ((cfg.variant === 'merge-keeps-older' ? lwwLess(b, a) : lwwLess(a, b)) ? b : a));
    return mine.length === 1 && mine[0] === pick ? mine : [pick];
  }
  const all = [...mine, ...theirs.filter((t) => !mine.some((m) => sameClock(m.clock, t.clock)))];
  const kept = all.filter((s) => !all.some((o) => dominates(o.clock, s.clock)));
  if (kept.length === mine.length && kept.every((k) => mine.includes(k))) return mine;
  return kept.sort(compareSiblings);
}

/** The high-water mark after holding `siblings`: the max (version, writer rank) under LWW, the
 * pointwise max clock under vector clocks. */
function highOf(cfg: Config, high: readonly number[], siblings: readonly Sibling[]): readonly number[] {
  let out = high;
  for (const s of siblings) {
    const mark = cfg.vectorClocks ? s.clock : [s.clock[0], cfg.ids.indexOf(s.writer)];
    const next = cfg.vectorClocks ? out.map((x, i) => Math.max(x, mark[i])) : out[0] > mark[0] || (out[0] === mark[0] && out[1] >= mark[1]) ? out : mark;
    out = next.every((x, i) => x === out[i]) ? out : next;
  }
  return out;
}

type Result = HandlerResult<GossipNode, Msg, GossipNode, never>;

function gossipNode(cfg: Config): NodeSpec<GossipNode, Msg, GossipNode, never, never> {
  const n = cfg.ids.length;
  /** The new state with the ghost updated and persisted (a value survives a crash). */
  const settle = (s: GossipNode, siblings: readonly Sibling[], wrote: boolean, sends: Result['effects'] = []): Result => {
    if (siblings === s.siblings && wrote === s.wrote) return { state: s, effects: sends };
    const next: GossipNode = { siblings, wrote, high: highOf(cfg, s.high, siblings) };
    return { state: next, effects: [{ kind: 'persist', data: next }, ...(sends ?? [])] };
  };

  const write = (s: GossipNode, ctx: NodeContext): Result => {
    const me = ctx.nodes.indexOf(ctx.id);
    const value = `${ctx.id}`;
    const clock = cfg.vectorClocks
      ? s.siblings.reduce((c, x) => c.map((v, i) => Math.max(v, x.clock[i])), Array<number>(n).fill(0)).map((v, i) => (i === me ? v + 1 : v))
      : [Math.max(0, ...s.siblings.map((x) => x.clock[0])) + 1];
    return settle(s, [{ value, clock, writer: ctx.id }], true);
  };

  return {
    init: () => {
      const empty: GossipNode = { siblings: [], wrote: false, high: cfg.vectorClocks ? Array(n).fill(0) : [0, -1] };
      return { state: empty };
    },
    internal: (s, ctx) => {
      const choices = cfg.writers.includes(ctx.id) && !s.wrote ? ['write'] : [];
      if (cfg.variant === 'silent-node' && ctx.id === cfg.ids[0]) return choices;
      return [...choices, ...ctx.nodes.filter((p) => p !== ctx.id).map((p) => `${cfg.mode} ${p}`)];
    },
    handle: (s, input: NodeInput<Msg, never>, ctx) => {
      switch (input.kind) {
        case 'internal': {
          if (input.choice === 'write') return write(s, ctx);
          const [, peer] = input.choice.split(' ');
          if (cfg.mode === 'pull') return { state: s, effects: [{ kind: 'send', to: peer, msg: { type: 'Pull' } }] };
          // A push-pull exchange starts even from a node with nothing yet: the peer answers with
          // its value. A push of nothing would tell the peer nothing.
          if (s.siblings.length === 0 && cfg.mode === 'push') return { state: s };
          return { state: s, effects: [{ kind: 'send', to: peer, msg: { type: 'Push', siblings: s.siblings } }] };
        }
        case 'receive': {
          const msg = input.msg;
          if (msg.type === 'Pull') return s.siblings.length === 0 ? { state: s } : { state: s, effects: [{ kind: 'send', to: input.from, msg: { type: 'Reply', siblings: s.siblings } }] };
          const merged = merge(cfg, s.siblings, msg.siblings);
          // push-pull: the receiver of a push answers with its own value when it had something newer.
          const answer = msg.type === 'Push' && cfg.mode === 'push-pull' && merged !== msg.siblings && !sameSiblings(merged, msg.siblings);
          return settle(s, merged, s.wrote, answer ? [{ kind: 'send', to: input.from, msg: { type: 'Reply', siblings: merged } }] : []);
        }
        case 'timeout':
        case 'request':
          throw new Error(`a gossip node has no ${input.kind}`);
      }
    },
    restart: (durable, ctx) => (durable === undefined ? gossipNode(cfg).init(ctx) : { state: durable }),
  };
}

function sameSiblings(a: readonly Sibling[], b: readonly Sibling[]): boolean {
  return a.length === b.length && a.every((x, i) => x.writer === b[i].writer && x.value === b[i].value && sameClock(x.clock, b[i].clock));
}

type State = SystemState<GossipNode, Msg, GossipNode, never, never>;

const show = (siblings: readonly Sibling[]) => `{${siblings.map((s) => `${s.value}@${s.clock.join('.')}`).join(',')}}`;

function describeMessage(m: Msg): string {
  return m.type === 'Pull' ? 'Pull' : `${m.type} ${show(m.siblings)}`;
}

export function gossip(params: Params, variant: GossipVariant = 'default') {
  const ids = Array.from({ length: params.nodes }, (_, k) => `n${k + 1}`);
  const cfg: Config = { mode: MODES[params.mode], vectorClocks: params.versioned === 1, variant, writers: ids.slice(0, params.writers), ids };
  const spec = gossipNode(cfg);
  const nodesOf = (s: State) => s.nodes.map((slot) => slot.state ?? slot.durable);
  const converged = (s: State) => {
    const values = nodesOf(s);
    return values.every((v, i) => v !== undefined && v.wrote === cfg.writers.includes(ids[i]) && sameSiblings(v.siblings, values[0]!.siblings));
  };
  return actorSystem<GossipNode, Msg, GossipNode, never, never>({
    nodes: ids.map((id) => ({ id, spec })),
    network: 'set',
    faults: { dropsMax: params.dropsMax, crashesMax: params.crashesMax, partitionsMax: params.partitionsMax },
    invariants: [
      {
        name: 'Monotone',
        check: (s) => {
          for (const [i, v] of nodesOf(s).entries()) {
            if (v === undefined) continue;
            // The ghost is the running maximum, current value included: it differs from the
            // current value's own mark only if the node once held something newer.
            const now = highOf(cfg, cfg.vectorClocks ? Array(ids.length).fill(0) : [0, -1], v.siblings);
            const behind = !sameClock(now, v.high);
            if (behind) return `${ids[i]} holds ${show(v.siblings)} after holding a newer value (${v.high.join('.')})`;
          }
          return undefined;
        },
      },
    ],
    sometimes: [
      { name: 'every node holds the same written value', holds: converged },
      ...(cfg.writers.length >= 2
        ? [
            {
              name: cfg.vectorClocks ? 'concurrent writes are kept as siblings' : 'a concurrent write is lost',
              holds: (s: State) =>
                cfg.vectorClocks
                  ? nodesOf(s).some((v) => v !== undefined && v.siblings.length >= 2)
                  : converged(s) && nodesOf(s).every((v) => v!.siblings[0].clock[0] === 1),
            },
          ]
        : []),
    ],
    // Done when every writer wrote and every node holds the same value.
    goal: converged,
    ...(params.recovery === 1 ? { fairness: { recovery: true } } : {}),
    isFinal: () => true,
    describeMessage,
  });
}

export const gossipDefinition: ModelDefinition = {
  name: 'gossip',
  summary: 'anti-entropy gossip of one versioned value: push, pull, push-pull; last-writer-wins or vector clocks',
  source: 'Demers et al., "Epidemic algorithms for replicated database maintenance" (PODC 1987)',
  params: [
    { name: 'nodes', description: 'number of nodes', default: 3, min: 2, max: 4 },
    { name: 'writers', description: 'the first `writers` nodes each write once', default: 2, min: 0, max: 4 },
    { name: 'mode', description: '0 push, 1 pull, 2 push-pull', default: 0, min: 0, max: 2 },
    { name: 'versioned', description: '0 last-writer-wins by (version, node), 1 vector clocks', default: 0, min: 0, max: 1 },
    { name: 'dropsMax', description: 'messages lost', default: 0, min: 0, max: 3 },
    { name: 'crashesMax', description: 'crashes (a node keeps its value on disk)', default: 0, min: 0, max: 2 },
    { name: 'partitionsMax', description: 'partitions (each heals)', default: 0, min: 0, max: 2 },
    { name: 'recovery', description: '1: for liveness, crashed nodes restart and partitions heal (fair); 0: they may not', default: 0, min: 0, max: 1 },
  ],
  variants: [
    { name: 'default', description: 'values only move forward, and every node converges once writes and faults stop', expect: { status: 'holds' } },
    { name: 'merge-keeps-older', description: 'bug: a merge keeps the older of two values', expect: { status: 'violation', property: 'Monotone' } },
    { name: 'silent-node', description: 'bug: n1 never starts an exchange (safe, but see the liveness rows)', expect: { status: 'holds' } },
  ],
  scenarios: [
    { kind: 'safety', name: 'push-with-faults', description: 'push gossip with a lost message, a crash and a partition', params: { mode: 0, dropsMax: 1, crashesMax: 1, partitionsMax: 1 }, expect: { status: 'holds' } },
    { kind: 'safety', name: 'push-pull', description: 'push-pull with one writer', params: { mode: 2, writers: 1 }, expect: { status: 'holds' } },
    { kind: 'safety', name: 'pull', description: 'pull with one writer and a lost message', params: { mode: 1, writers: 1, dropsMax: 1 }, expect: { status: 'holds' } },
    { kind: 'safety', name: 'vector-clocks-push', description: 'vector clocks keep both concurrent writes as siblings (push)', params: { mode: 0, versioned: 1, dropsMax: 1 }, expect: { status: 'holds' } },
    // No crash here: a restart is a fault, so under "faults eventually stop" a crashed node may
    // stay down forever and the others cannot converge with it.
    { kind: 'liveness', name: 'push-converges', description: 'once writes and losses stop, push gossip brings every node to one value', params: { mode: 0, dropsMax: 1 }, expect: { status: 'holds' } },
    {
      kind: 'liveness',
      name: 'healed-partition-converges',
      description: 'a partition and a crash during the exchanges: once the partition heals and the node restarts, every node converges',
      params: { mode: 0, partitionsMax: 1, crashesMax: 1, recovery: 1 },
      expect: { status: 'holds' },
    },
    {
      kind: 'liveness',
      name: 'partition-never-healing-blocks',
      description: 'without recovery a partition may last forever: each side gossips among itself and the two never agree (a livelock)',
      params: { mode: 0, partitionsMax: 1 },
      expect: { status: 'violation', property: 'livelock' },
    },
    { kind: 'liveness', name: 'vector-clocks-converge', description: 'vector clocks converge too (both writes as siblings everywhere)', params: { mode: 0, versioned: 1 }, expect: { status: 'holds' } },
    {
      kind: 'liveness',
      name: 'silent-writer-under-push',
      description: 'under push a node that never starts an exchange keeps its own write: the others never learn it',
      variant: 'silent-node',
      params: { mode: 0 },
      expect: { status: 'violation', property: 'livelock' },
    },
    {
      kind: 'liveness',
      name: 'silent-node-under-push-pull',
      description: 'under push-pull the silent node answers the others\' pushes with its own value: convergence holds',
      variant: 'silent-node',
      params: { mode: 2, writers: 1 },
      expect: { status: 'holds' },
    },
  ],
  create: (params, variant) => gossip(params, variant as GossipVariant),
};
