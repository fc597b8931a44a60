// Visited states as 64-bit fingerprints in an open-addressing hash table over typed arrays,
// with the parent link of each state kept as (parent index, action index) so a trace is
// rebuilt by replay from an initial state instead of being stored per state (docs/ARCHITECTURE.md).
//
// The table holds the fingerprints themselves (high and low word side by side), so looking
// a state up touches one cache line, not the table and then the state's row: most lookups
// find a state already seen, and this is the explorer's innermost loop. Each slot's state
// index is kept in a parallel array, read only when the caller needs the index.
//
// Per stored state: 4 bytes of parent, 4 of action index, 4 of depth; per table slot: 8
// bytes of fingerprint and 4 of index, with the table kept between 3/8 and 3/4 full.
//
// A compact store (the packed explorer's) keeps no index per slot (a breadth-first search
// that only asks whether a key is present never needs it) and keeps action indices and depths
// in 2 bytes each until one does not fit, when that array alone widens to 4 bytes.

const INITIAL_SLOTS = 1 << 12;
const INITIAL_STATES = 1 << 11;
/** Keys the recent-key cache of `add` holds: 2^14 keys, 128 KiB (within a core's L2). */
const RECENT_BITS = 14;

export class StateStore {
  /** Slot s holds a fingerprint in [2s] (high) and [2s+1] (low); (0, 0) marks an empty
   * slot (fingerprints are never (0, 0)). */
  private table: Int32Array;
  /** State index of each occupied slot (empty in a compact store). */
  private slotIndex: Int32Array;
  private mask: number;
  private growAt: number;
  /** Parent state index, or -1 for an initial state. */
  parent: Int32Array;
  /** Index of the action in the parent's enabled-action list (for an initial state: its
   * index in `model.init`). */
  action: Int32Array | Uint16Array;
  /** Depth at which the state was reached; initial states have depth 1 (as in TLC). */
  depth: Int32Array | Uint16Array;
  size = 0;
  private readonly indexed: boolean;
  /** Keys `add` saw last, direct-mapped ((0, 0): empty); every one of them is in the table. */
  private readonly recent = new Int32Array(2 << RECENT_BITS);

  constructor(capacity = INITIAL_STATES, options: { readonly compact?: boolean } = {}) {
    const slots = nextPowerOfTwo(Math.max(INITIAL_SLOTS, Math.ceil((capacity * 4) / 3)));
    this.indexed = options.compact !== true;
    this.table = new Int32Array(slots * 2);
    this.slotIndex = new Int32Array(this.indexed ? slots : 0);
    this.mask = slots - 1;
    this.growAt = (slots * 3) >>> 2;
    const cap = Math.max(16, capacity);
    this.parent = new Int32Array(cap);
    this.action = this.indexed ? new Int32Array(cap) : new Uint16Array(cap);
    this.depth = this.indexed ? new Int32Array(cap) : new Uint16Array(cap);
  }

  /** Whether a state with this fingerprint is stored. */
  has(high: number, low: number): boolean {
    return this.slotOf(high, low) >= 0;
  }

  /** Gives a stored state a new parent link and depth (a shorter path found under DFS). */
  relink(index: number, parent: number, action: number, depth: number): void {
    this.parent[index] = parent;
    this.setAction(index, action);
    this.setDepth(index, depth);
  }

  /** The slot holding this fingerprint, or -(empty slot where it would go) - 1. */
  private slotOf(high: number, low: number): number {
    const table = this.table;
    const mask = this.mask;
    let slot = slotHash(high, low) & mask;
    for (;;) {
      const h = table[slot * 2];
      const l = table[slot * 2 + 1];
      if (h === high && l === low) return slot;
      if (h === 0 && l === 0) return -slot - 1;
      slot = (slot + 1) & mask;
    }
  }

  /** Index of the state with this fingerprint, or -1. */
  find(high: number, low: number): number {
    if (!this.indexed) throw new Error('a compact state store keeps no index per key: use has()');
    const slot = this.slotOf(high, low);
    return slot < 0 ? -1 : this.slotIndex[slot];
  }

  /** Inserts a fingerprint. Returns the new state's index, or -(existing index) - 1 when it
   * was already present. */
  insert(high: number, low: number, parent: number, action: number, depth: number): number {
    if (!this.indexed) throw new Error('a compact state store keeps no index per key: use add()');
    const slot = this.slotOf(high, low);
    if (slot >= 0) return -this.slotIndex[slot] - 1;
    return this.insertAt(-slot - 1, high, low, parent, action, depth);
  }

  /** Inserts a fingerprint. Returns the new state's index, or -1 when it was already present
   * (cheaper than `insert`: the existing state's index is not looked up). */
  add(high: number, low: number, parent: number, action: number, depth: number): number {
    // Most successors were generated a moment ago from a sibling (diamonds): a small cache of
    // the keys added last answers them without a cache miss in the table.
    const recent = this.recent;
    const r = (Math.imul(high ^ low, 0x9e3779b1) >>> (32 - RECENT_BITS)) * 2;
    if (recent[r] === high && recent[r + 1] === low) return -1;
    recent[r] = high;
    recent[r + 1] = low;
    const slot = this.slotOf(high, low);
    if (slot >= 0) return -1;
    return this.insertAt(-slot - 1, high, low, parent, action, depth);
  }

  private insertAt(slot: number, high: number, low: number, parent: number, action: number, depth: number): number {
    if (high === 0 && low === 0) throw new RangeError('the fingerprint (0, 0) is reserved for empty slots');
    const index = this.size;
    if (index === this.parent.length) this.growStates();
    this.table[slot * 2] = high;
    this.table[slot * 2 + 1] = low;
    if (this.indexed) this.slotIndex[slot] = index;
    this.parent[index] = parent;
    this.setAction(index, action);
    this.setDepth(index, depth);
    this.size = index + 1;
    if (this.size > this.growAt) this.growTable();
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
      this.slotIndex.byteLength +
      this.parent.byteLength +
      this.action.byteLength +
      this.depth.byteLength
    );
  }

  private setAction(index: number, action: number): void {
    if (action > 0xffff && this.action instanceof Uint16Array) this.action = Int32Array.from(this.action);
    this.action[index] = action;
  }

  private setDepth(index: number, depth: number): void {
    if (depth > 0xffff && this.depth instanceof Uint16Array) this.depth = Int32Array.from(this.depth);
    this.depth[index] = depth;
  }

  private growStates(): void {
    const cap = this.parent.length * 2;
    this.parent = resize(this.parent, cap);
    this.action = resize(this.action, cap);
    this.depth = resize(this.depth, cap);
  }

  private growTable(): void {
    const old = this.table;
    const oldIndex = this.slotIndex;
    const slots = (this.mask + 1) * 2;
    const table = new Int32Array(slots * 2);
    const slotIndex = new Int32Array(this.indexed ? slots : 0);
    const mask = slots - 1;
    for (let s = 0; s * 2 < old.length; s++) {
      const high = old[s * 2];
      const low = old[s * 2 + 1];
      if (high === 0 && low === 0) continue;
      let slot = slotHash(high, low) & mask;
      while (table[slot * 2] !== 0 || table[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
      table[slot * 2] = high;
      table[slot * 2 + 1] = low;
      if (this.indexed) slotIndex[slot] = oldIndex[s];
    }
    this.table = table;
    this.slotIndex = slotIndex;
    this.mask = mask;
    this.growAt = (slots * 3) >>> 2;
  }
}

/** Where a key's probe starts. Fingerprints are well mixed already, but a packed state used as
 * its own exact key (core/codec.ts) is not: its low bits are a few fields of the state, so
 * they are mixed here (murmur3's finaliser) before they pick a slot. */
function slotHash(high: number, low: number): number {
  let h = low ^ Math.imul(high, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

function resize<T extends Int32Array | Uint16Array>(arr: T, capacity: number): T {
  const out = (arr instanceof Uint16Array ? new Uint16Array(capacity) : new Int32Array(capacity)) as T;
  out.set(arr);
  return out;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
