// Measurements of a placement over a set of keys: how many keys move when the node set
// changes, and how evenly keys spread over nodes. The expectations these are compared with:
// - moved on adding the (N+1)th node: modulo (N)/(N+1) of the keys (a key stays only if
//   h mod N = h mod (N+1)), the consistent schemes 1/(N+1) (the new node's fair share);
// - load with one ring point per node: the largest arc is about ln N / N of the ring, so the
//   busiest node has about H_N (the N-th harmonic number, ~ ln N) times the mean load;
// - load with V points per node: the relative standard deviation of a node's share is about
//   sqrt((N - 1) / (N V + 1)) (each node's share is a sum of V arcs of a ring cut in N V points).

import type { Placement } from './placement.ts';

/** The fraction of `keys` whose node differs between the two placements. */
export function movedFraction(before: Placement, after: Placement, keys: readonly string[]): number {
  let moved = 0;
  for (const key of keys) if (before.lookup(key) !== after.lookup(key)) moved++;
  return moved / keys.length;
}

export interface Load {
  /** The busiest node's keys over the mean. */
  readonly maxOverMean: number;
  /** The standard deviation of the nodes' key counts over the mean. */
  readonly relativeStdDev: number;
}

export function loadOf(p: Placement, keys: readonly string[]): Load {
  const counts = new Map<string, number>(p.nodes.map((n) => [n, 0]));
  for (const key of keys) {
    const node = p.lookup(key);
    counts.set(node, counts.get(node)! + 1);
  }
  const mean = keys.length / p.nodes.length;
  const values = [...counts.values()];
  const variance = values.reduce((s, c) => s + (c - mean) ** 2, 0) / values.length;
  return { maxOverMean: Math.max(...values) / mean, relativeStdDev: Math.sqrt(variance) / mean };
}

export function harmonic(n: number): number {
  let h = 0;
  for (let k = 1; k <= n; k++) h += 1 / k;
  return h;
}

/** sqrt((N - 1) / (N V + 1)): the expected relative standard deviation of a node's share on a
 * ring with V points per node. */
export function expectedRingStdDev(nodes: number, virtualNodes: number): number {
  return Math.sqrt((nodes - 1) / (nodes * virtualNodes + 1));
}

/** Keys key0 .. key{n-1}: a fixed, reproducible key set. */
export function keyRange(n: number, prefix = 'key'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/** Node names n0 .. n{n-1}. */
export function nodeRange(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => `n${from + i}`);
}
