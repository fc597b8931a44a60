// Visited states as 64-bit fingerprints in an open-addressing hash table over typed arrays,
// with the parent link of each state kept as (parent index, action index) so a trace is
// rebuilt by replay from an initial state instead of being stored per state (DESIGN.md).
//
// Per stored state: 8 bytes of fingerprint, 4 of parent, 4 of action index, 4 of depth, and
// the table's slots (4 bytes each, kept at most half full).

const INITIAL_CAPACITY = 1 << 12;
const EMPTY = 0;

export class StateStore {
  private table: Int32Array; // slot -> state index + 1, or EMPTY
  private mask: number;
  private fpHigh: Int32Array;
  private fpLow: Int32Array;
  /** Parent state index, or -1 for an initial state. */
  parent: Int32Array;
  /** Index of the action in the parent's enabled-action list (for an initial state: its
   * index in `model.init`). */
  action: Int32Array;
  /** Depth at which the state was reached; initial states have depth 1 (as in TLC). */
  depth: Int32Array;
  size = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    const cap = nextPowerOfTwo(Math.max(16, capacity));
    this.table = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
    this.fpHigh = new Int32Array(cap);
    this.fpLow = new Int32Array(cap);
    this.parent = new Int32Array(cap);
    this.action = new Int32Array(cap);
    this.depth = new Int32Array(cap);
  }

  /** Index of the state with this fingerprint, or -1. */
  find(high: number, low: number): number {
    const mask = this.mask;
    let slot = (low ^ Math.imul(high, 0x9e3779b1)) & mask;
    for (;;) {
      const entry = this.table[slot];
      if (entry === EMPTY) return -1;
      const index = entry - 1;
      if (this.fpLow[index] === low && this.fpHigh[index] === high) return index;
      slot = (slot + 1) & mask;
    }
  }

  /** Inserts a fingerprint. Returns the new state's index, or -(existing index) - 1 when it
   * was already present. */
  insert(high: number, low: number, parent: number, action: number, depth: number): number {
    const mask = this.mask;
    let slot = (low ^ Math.imul(high, 0x9e3779b1)) & mask;
    for (;;) {
      const entry = this.table[slot];
      if (entry === EMPTY) break;
      const index = entry - 1;
      if (this.fpLow[index] === low && this.fpHigh[index] === high) return -index - 1;
      slot = (slot + 1) & mask;
    }
    const index = this.size;
    if (index === this.fpLow.length) {
      this.grow();
      return this.insert(high, low, parent, action, depth);
    }
    this.table[slot] = index + 1;
    this.fpHigh[index] = high;
    this.fpLow[index] = low;
    this.parent[index] = parent;
    this.action[index] = action;
    this.depth[index] = depth;
    this.size = index + 1;
    return index;
  }

  /** The path of action indices from an initial state to `index`: [initIndex, a1, a2, ...]. */
  pathTo(index: number): number[] {
    const path: number[] = [];
    let i = index;
    while (i >= 0) {
      path.push(this.action[i]);
      i = this.parent[i];
    }
    return path.reverse();
  }

  /** Bytes held by the typed arrays, i.e. the cost of remembering the visited states. */
  get bytes(): number {
    return (
      this.table.byteLength +
      this.fpHigh.byteLength +
      this.fpLow.byteLength +
      this.parent.byteLength +
      this.action.byteLength +
      this.depth.byteLength
    );
  }

  private grow(): void {
    const cap = this.fpLow.length * 2;
    this.fpHigh = resize(this.fpHigh, cap);
    this.fpLow = resize(this.fpLow, cap);
    this.parent = resize(this.parent, cap);
    this.action = resize(this.action, cap);
    this.depth = resize(this.depth, cap);
    this.table = new Int32Array(cap * 2);
    this.mask = cap * 2 - 1;
    for (let index = 0; index < this.size; index++) {
      let slot = (this.fpLow[index] ^ Math.imul(this.fpHigh[index], 0x9e3779b1)) & this.mask;
      while (this.table[slot] !== EMPTY) slot = (slot + 1) & this.mask;
      this.table[slot] = index + 1;
    }
  }
}

function resize(arr: Int32Array, capacity: number): Int32Array {
  const out = new Int32Array(capacity);
  out.set(arr);
  return out;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
