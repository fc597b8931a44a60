// Exact symmetry reduction (--symmetry). A model declares which ids are interchangeable and how
// a renaming acts on a state (core/schema.ts Symmetry); the search then keeps one state per
// orbit: every state is identified by a canonical representative of its orbit, which is a
// function of the orbit alone (a full canonicalisation, not a heuristic that may count an
// orbit twice).
//
// The representative: sort the ids by the model's key (a summary of each id's part of the
// state that renaming does not change), then take the least encoding over every order of the
// ids whose keys tie. Any two states of an orbit, once sorted, differ by such an order, so
// they get the same representative. The orders among ties are not enumerated when every swap
// of two adjacent tied ids leaves the sorted state as it is: those swaps generate every order
// of the ties, so all of them give that same state (the usual case: ids whose parts are equal
// and that nothing else tells apart).
//
// Every engine identifies states through `canonical` (explore/traverse.ts), so explore,
// liveness and refinement all see the orbits; the frontier keeps the states themselves, so
// counterexamples are runs of the model and replay as they are.

import { Codec } from '../core/codec.ts';
import { canonicalJson } from '../core/data.ts';
import { InputError, type AnyCompleteModel } from '../core/model.ts';
import type { Symmetry } from '../core/schema.ts';

/** The model with `canonical` giving each state its orbit's representative. */
export function withSymmetry(model: AnyCompleteModel): AnyCompleteModel {
  const symmetry = model.symmetry;
  if (symmetry === undefined) throw new InputError('--symmetry needs a model that declares interchangeable ids (a `symmetry`); this one declares none');
  if (model.hasCanonical) throw new InputError('--symmetry applies to a model without its own canonical form; this one has one');
  const canonicalizer = new Canonicalizer(symmetry, model.schema === undefined ? undefined : new Codec(model.schema));
  return { ...model, canonical: (s: unknown) => canonicalizer.representative(s), hasCanonical: true };
}

/** Total order on states used to pick the least of an orbit: their packed words when the model
 * has a schema, else their canonical JSON. */
type Encoded = Int32Array | string;

export class Canonicalizer {
  private readonly identity: number[];

  constructor(
    private readonly symmetry: Symmetry<unknown>,
    private readonly codec: Codec | undefined,
  ) {
    this.identity = Array.from({ length: symmetry.size }, (_, i) => i);
  }

  representative(state: unknown): unknown {
    const n = this.symmetry.size;
    if (n < 2) return state;
    const { sorted, groups } = this.sortByKey(state);
    const base = this.encoding(sorted);
    if (groups.every((g) => this.swapsFix(sorted, base, g))) return sorted;
    let best = sorted;
    let bestEncoding = base;
    for (const perm of groupPermutations(n, groups)) {
      const candidate = this.symmetry.permute(sorted, perm);
      const e = this.encoding(candidate);
      if (compareEncodings(e, bestEncoding) < 0) {
        best = candidate;
        bestEncoding = e;
      }
    }
    return best;
  }

  /** The state with ids renamed in key order, and the runs of positions whose keys tie. */
  private sortByKey(state: unknown): { sorted: unknown; groups: [number, number][] } {
    const n = this.symmetry.size;
    const key = this.symmetry.key;
    if (key === undefined) return { sorted: state, groups: [[0, n]] };
    const keys = this.identity.map((i) => key(state, i));
    const order = [...this.identity].sort((a, b) => keys[a] - keys[b] || a - b);
    const perm = new Array<number>(n);
    order.forEach((id, pos) => (perm[id] = pos));
    const sorted = order.every((id, pos) => id === pos) ? state : this.symmetry.permute(state, perm);
    const groups: [number, number][] = [];
    for (let a = 0; a < n; ) {
      let b = a + 1;
      while (b < n && keys[order[b]] === keys[order[a]]) b++;
      if (b - a > 1) groups.push([a, b]);
      a = b;
    }
    return { sorted, groups };
  }

  private swapsFix(sorted: unknown, base: Encoded, [a, b]: [number, number]): boolean {
    for (let j = a; j + 1 < b; j++) {
      const perm = [...this.identity];
      perm[j] = j + 1;
      perm[j + 1] = j;
      if (compareEncodings(this.encoding(this.symmetry.permute(sorted, perm)), base) !== 0) return false;
    }
    return true;
  }

  private encoding(state: unknown): Encoded {
    if (this.codec === undefined) return canonicalJson(state);
    const out = new Int32Array(this.codec.words);
    this.codec.encode(state, out);
    return out;
  }
}

function compareEncodings(x: Encoded, y: Encoded): number {
  if (typeof x === 'string' || typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  for (let i = x.length - 1; i >= 0; i--) {
    if (x[i] !== y[i]) return x[i] >>> 0 < y[i] >>> 0 ? -1 : 1;
  }
  return 0;
}

/** Every permutation of 0..n-1 that maps each group [a, b) onto itself. */
function* groupPermutations(n: number, groups: readonly [number, number][]): Generator<number[]> {
  const perm = Array.from({ length: n }, (_, i) => i);
  function* within(g: number): Generator<number[]> {
    if (g === groups.length) {
      yield [...perm];
      return;
    }
    const [a, b] = groups[g];
    const items = perm.slice(a, b);
    for (const order of permutations(items)) {
      for (let i = a; i < b; i++) perm[i] = order[i - a];
      yield* within(g + 1);
    }
    for (let i = a; i < b; i++) perm[i] = items[i - a];
  }
  yield* within(0);
}

function* permutations(items: readonly number[]): Generator<number[]> {
  if (items.length <= 1) {
    yield [...items];
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const p of permutations(rest)) yield [items[i], ...p];
  }
}
