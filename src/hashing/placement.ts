// Placing keys on nodes, four ways, behind one immutable interface:
// - modulo: node[hash(key) mod N], the baseline: changing N moves almost every key ((N-1)/N of
//   them when a node is added), the "cache avalanche" consistent hashing exists to avoid;
// - ring: consistent hashing (Karger et al., STOC 1997) with V virtual points per node: a key
//   belongs to the first point clockwise from its hash;
// - rendezvous: highest random weight (Thaler & Ravishankar, 1998): a key belongs to the node
//   with the largest hash(node, key);
// - jump: jump consistent hash (Lamping & Veach, 2014): no state but the number of buckets,
//   perfectly even, but nodes can only be added or removed at the end of the list.
// Adding a node to ring, rendezvous or jump moves only the keys the new node takes (about
// 1/(N+1) of them); removing a node from ring or rendezvous moves only its own keys.

import { hash64, type Hash32 } from './hash.ts';

export interface Placement {
  readonly scheme: 'modulo' | 'ring' | 'rendezvous' | 'jump';
  /** The nodes, in the order they were added. */
  readonly nodes: readonly string[];
  /** The node a key belongs to (deterministic; throws on an empty placement). */
  lookup(key: string): string;
  /** The placement with one more node (a name not already present). */
  add(node: string): Placement;
  /** The placement without a node (one that is present). */
  remove(node: string): Placement;
}

function checkAdd(nodes: readonly string[], node: string): void {
  if (nodes.includes(node)) throw new Error(`node ${node} is already placed`);
}

function checkRemove(nodes: readonly string[], node: string): void {
  if (!nodes.includes(node)) throw new Error(`node ${node} is not placed`);
}

function checkLookup(nodes: readonly string[]): void {
  if (nodes.length === 0) throw new Error('no node to place a key on');
}

export function moduloPlacement(nodes: readonly string[], hash: Hash32): Placement {
  return {
    scheme: 'modulo',
    nodes,
    lookup: (key) => {
      checkLookup(nodes);
      return nodes[hash(key) % nodes.length];
    },
    add: (node) => (checkAdd(nodes, node), moduloPlacement([...nodes, node], hash)),
    remove: (node) => (checkRemove(nodes, node), moduloPlacement(nodes.filter((n) => n !== node), hash)),
  };
}

/** A ring point: the hash of `node#v`. Points are sorted by hash, then node (ties are broken
 * the same way whatever the order nodes were added in). */
interface Point {
  readonly hash: number;
  readonly node: string;
}

function comparePoints(a: Point, b: Point): number {
  return a.hash - b.hash || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);
}

export function ringPlacement(nodes: readonly string[], hash: Hash32, virtualNodes: number): Placement {
  if (!(Number.isInteger(virtualNodes) && virtualNodes >= 1)) throw new Error(`virtual nodes must be a positive integer, got ${virtualNodes}`);
  const points: Point[] = [];
  for (const node of nodes) for (let v = 0; v < virtualNodes; v++) points.push({ hash: hash(`${node}#${v}`), node });
  points.sort(comparePoints);
  return ringOf(nodes, points, hash, virtualNodes);
}

function ringOf(nodes: readonly string[], points: readonly Point[], hash: Hash32, virtualNodes: number): Placement {
  return {
    scheme: 'ring',
    nodes,
    lookup: (key) => {
      checkLookup(nodes);
      const h = hash(key);
      // The first point with hash >= h, wrapping to the first point.
      let lo = 0;
      let hi = points.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (points[mid].hash < h) lo = mid + 1;
        else hi = mid;
      }
      return points[lo === points.length ? 0 : lo].node;
    },
    add: (node) => (checkAdd(nodes, node), ringPlacement([...nodes, node], hash, virtualNodes)),
    remove: (node) => (checkRemove(nodes, node), ringOf(nodes.filter((n) => n !== node), points.filter((p) => p.node !== node), hash, virtualNodes)),
  };
}

export function rendezvousPlacement(nodes: readonly string[], hash: Hash32): Placement {
  return {
    scheme: 'rendezvous',
    nodes,
    lookup: (key) => {
      checkLookup(nodes);
      let best = nodes[0];
      let bestWeight = -1;
      for (const node of nodes) {
        const w = hash(`${node}:${key}`);
        if (w > bestWeight || (w === bestWeight && node < best)) {
          best = node;
          bestWeight = w;
        }
      }
      return best;
    },
    add: (node) => (checkAdd(nodes, node), rendezvousPlacement([...nodes, node], hash)),
    remove: (node) => (checkRemove(nodes, node), rendezvousPlacement(nodes.filter((n) => n !== node), hash)),
  };
}

const MASK64 = (1n << 64n) - 1n;

/** Jump consistent hash (Lamping & Veach 2014, Figure 1): the bucket in [0, buckets) of a
 * 64-bit key. The loop jumps forward through the buckets a key would move to as buckets are
 * added, using a 64-bit linear congruential generator seeded with the key. */
export function jumpHash(key: bigint, buckets: number): number {
  if (!(Number.isInteger(buckets) && buckets >= 1 && buckets <= 0x7fffffff)) throw new Error(`buckets must be in 1..2^31-1, got ${buckets}`);
  let k = key & MASK64;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    k = (k * 2862933555777941757n + 1n) & MASK64;
    j = Math.floor((b + 1) * (2147483648 / (Number(k >> 33n) + 1)));
  }
  return b;
}

/** Jump consistent hash over named nodes: node i is bucket i. Adding appends a bucket;
 * removing the last node drops the last bucket (only its keys move); removing any other node
 * renumbers the buckets after it, which moves keys between surviving nodes too (jump hash has
 * no way to remove a bucket in the middle; systems map a failed node's bucket elsewhere). */
export function jumpPlacement(nodes: readonly string[]): Placement {
  return {
    scheme: 'jump',
    nodes,
    lookup: (key) => {
      checkLookup(nodes);
      return nodes[jumpHash(hash64(key), nodes.length)];
    },
    add: (node) => (checkAdd(nodes, node), jumpPlacement([...nodes, node])),
    remove: (node) => (checkRemove(nodes, node), jumpPlacement(nodes.filter((n) => n !== node))),
  };
}
