// Helpers for immutable plain-data state: a total order on values, canonical sets kept as
// sorted arrays (stateright keeps messages in a BTreeSet for the same reason: one state,
// one encoding), and a canonical JSON form for comparing actions and states in traces.

/** A total order on plain data: undefined < null < booleans < numbers < strings < arrays
 * < records; arrays lexicographically; records by sorted keys then values. */
export function compareValues(x: unknown, y: unknown): number {
  if (x === y) return 0;
  // Fast paths for two values of the same primitive kind (the common case in sets of
  // messages); they answer as the general case below does.
  const tx = typeof x;
  if (tx === typeof y) {
    if (tx === 'string' || tx === 'number') return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
  }
  const rx = rank(x);
  const ry = rank(y);
  if (rx !== ry) return rx - ry;
  switch (rx) {
    case 2:
      return (x as boolean) === (y as boolean) ? 0 : x ? 1 : -1;
    case 3:
      return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0;
    case 4:
      return (x as string) < (y as string) ? -1 : (x as string) > (y as string) ? 1 : 0;
    case 5:
      return compareArrays(x as readonly unknown[], y as readonly unknown[]);
    case 6:
      return compareRecords(x as Record<string, unknown>, y as Record<string, unknown>);
    default:
      return 0;
  }
}

function rank(v: unknown): number {
  if (v === undefined) return 0;
  if (v === null) return 1;
  switch (typeof v) {
    case 'boolean':
      return 2;
    case 'number':
      return 3;
    case 'string':
      return 4;
    default:
      return Array.isArray(v) ? 5 : 6;
  }
}

function compareArrays(x: readonly unknown[], y: readonly unknown[]): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const c = compareValues(x[i], y[i]);
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

function compareRecords(x: Record<string, unknown>, y: Record<string, unknown>): number {
  // Fast path, no allocation: when both records have the same defined keys, the order is
  // decided by the smallest key (in sorted order) whose values differ.
  let sameKeys = true;
  let nx = 0;
  let bestKey: string | undefined;
  let best = 0;
  for (const k in x) {
    const vx = x[k];
    if (vx === undefined) continue;
    nx++;
    const vy = y[k];
    if (vy === undefined) {
      sameKeys = false;
      break;
    }
    if (bestKey === undefined || k < bestKey) {
      const c = compareValues(vx, vy);
      if (c !== 0) {
        bestKey = k;
        best = c;
      }
    }
  }
  if (sameKeys) {
    let ny = 0;
    for (const k in y) if (y[k] !== undefined) ny++;
    if (nx === ny) return best;
  }
  // Different key sets: records are ordered by their sorted lists of defined keys. The lists
  // are walked without being built, since records are small: the i-th keys are the smallest
  // keys greater than the previous (equal) ones.
  let prev: string | undefined;
  for (;;) {
    const kx = nextDefinedKey(x, prev);
    const ky = nextDefinedKey(y, prev);
    if (kx === undefined || ky === undefined) {
      if (kx !== ky) return kx === undefined ? -1 : 1;
      break;
    }
    if (kx !== ky) return kx < ky ? -1 : 1;
    prev = kx;
  }
  // Same key set after all (not reached when the fast path saw the same keys).
  for (let k = nextDefinedKey(x, undefined); k !== undefined; k = nextDefinedKey(x, k)) {
    const d = compareValues(x[k], y[k]);
    if (d !== 0) return d;
  }
  return 0;
}

/** The smallest key of `x` greater than `after` (any key when undefined) whose value is not
 * undefined: {k: undefined} is the same record as {}. */
function nextDefinedKey(x: Record<string, unknown>, after: string | undefined): string | undefined {
  let best: string | undefined;
  for (const k in x) {
    if (x[k] === undefined || (after !== undefined && k <= after)) continue;
    if (best === undefined || k < best) best = k;
  }
  return best;
}

export function equalValues(x: unknown, y: unknown): boolean {
  return compareValues(x, y) === 0;
}

/** A canonical set: a sorted array without duplicates. */
export type SortedSet<T> = readonly T[];

/** Adds `item` to a sorted set; returns the same array when it is already a member. */
export function setAdd<T>(set: SortedSet<T>, item: T): SortedSet<T> {
  let lo = 0;
  let hi = set.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareValues(set[mid], item);
    if (c === 0) return set;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return insertAt(set, lo, item);
}

/** A copy of `arr` with `item` inserted before index `at` (without slice + splice, which
 * cost more than one pass). */
export function insertAt<T>(arr: readonly T[], at: number, item: T): T[] {
  const n = arr.length;
  // Built by push so that the array stays packed (no holes), which keeps reading it fast.
  const out: T[] = [];
  for (let i = 0; i < at; i++) out.push(arr[i]);
  out.push(item);
  for (let i = at; i < n; i++) out.push(arr[i]);
  return out;
}

export function setHas<T>(set: SortedSet<T>, item: T): boolean {
  let lo = 0;
  let hi = set.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareValues(set[mid], item);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/** A copy of `arr` with index `i` replaced; `arr` itself when it already holds `value` there
 * (state is immutable, so sharing the unchanged array is the same value, and cheaper to hash). */
/** The first message `f` gives for an element of `xs` (an invariant over many parts that reports
 * the first part that breaks it), or undefined when none does. */
export function firstMessage<T>(xs: readonly T[], f: (x: T) => string | undefined): string | undefined {
  for (const x of xs) {
    const m = f(x);
    if (m !== undefined) return m;
  }
  return undefined;
}

export function updateAt<T>(arr: readonly T[], i: number, value: T): readonly T[] {
  if (arr[i] === value && i < arr.length) return arr;
  const out = arr.slice();
  out[i] = value;
  return out;
}

/** JSON with record keys sorted: one text per value, used to compare actions and states
 * recorded in trace files with those the model produces now. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}
