// Helpers for immutable plain-data state: a total order on values, canonical sets kept as
// sorted arrays (stateright keeps messages in a BTreeSet for the same reason: one state,
// one encoding), and a canonical JSON form for comparing actions and states in traces.

/** A total order on plain data: undefined < null < booleans < numbers < strings < arrays
 * < records; arrays lexicographically; records by sorted keys then values. */
export function compareValues(x: unknown, y: unknown): number {
  if (x === y) return 0;
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
  const kx = Object.keys(x).sort();
  const ky = Object.keys(y).sort();
  const c = compareArrays(kx, ky);
  if (c !== 0) return c;
  for (const k of kx) {
    const d = compareValues(x[k], y[k]);
    if (d !== 0) return d;
  }
  return 0;
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
  const out = set.slice();
  out.splice(lo, 0, item);
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

/** A copy of `arr` with index `i` replaced. */
export function updateAt<T>(arr: readonly T[], i: number, value: T): readonly T[] {
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
