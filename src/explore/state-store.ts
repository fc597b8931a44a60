// Visited states as 64-bit fingerprints in an open-addressing hash table over typed arrays,
// with the parent link of each state kept as (parent index, action index) so a trace is
// rebuilt by replay from an initial state instead of being stored per state (docs/ARCHITECTURE.md).
//
// The table holds the fingerprints themselves (high and low word side by side), so looking
// a state up touches one cache line, not the table and then the state's row: most lookups
// find a state already seen, and this is the explorer's innermost loop. Each slot's state
// index is kept in a parallel array, read only when the caller needs the index. A slot is
// picked by multiplying a hash of the key by the table's size (any size, not only powers of
// two), and collisions probe the next slots.
//
// Per stored state: 4 bytes of parent, 4 of action index, 4 of depth; per table slot: 8
// bytes of fingerprint and 4 of index, with the table kept between 3/8 and 3/4 full.
//
// A compact store (the packed explorer's, breadth-first) keeps no index per slot (a search
// that only asks whether a key is present never needs it) and no depth per state (states are
// stored level by level, so the first index of each level says every state's depth); parent
// links are 4 bytes and action indices 1 byte until one does not fit (then 2, then 4), in
// chunks, so no array is ever twice the size it needs; its table is kept between 55% and 80%
// full. About 15-19.5 bytes per state.

const INITIAL_SLOTS = 1 << 12;
const INITIAL_STATES = 1 << 11;
/** The recent-key cache of `add` holds a quarter as many keys as the table has slots, between
 * 2^10 and 2^14 (128 KiB, within a core's L2). */
const RECENT_BITS_MIN = 10;
const RECENT_BITS_MAX = 14;
/** The compact table grows when it is this full, to be this full afterwards. */
const COMPACT_LOAD_MAX = 0.8;
const COMPACT_LOAD_AFTER_GROWTH = 0.55;
/** Entries per chunk of a compact store's parent and action columns. */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;

type Ints = Uint8Array | Uint16Array | Int32Array;

/** A column of integers in fixed-size chunks, as narrow as its values allow: it grows by a
 * chunk at a time, and widens (8 to 16 to 32 bits) the first time a value does not fit. */
class Column {
  private chunks: Ints[] = [];
  private bits: 8 | 16 | 32;
  /** Values in [min, max] fit. */
  private min = 0;
  private max = 0;
  constructor(bits: 8 | 16 | 32) {
    this.bits = bits;
    this.limits();
  }
  get(i: number): number {
    return this.chunks[i >>> CHUNK_BITS][i & CHUNK_MASK];
  }
  set(i: number, v: number): void {
    if (v > this.max || v < this.min) this.widen(v < 0 || v > 0xffff ? 32 : 16);
    const c = i >>> CHUNK_BITS;
    if (c >= this.chunks.length || (i & CHUNK_MASK) >= this.chunks[c].length) this.grow(c, i & CHUNK_MASK);
    this.chunks[c][i & CHUNK_MASK] = v;
  }
  /** Makes room for entry `at` of chunk `c`: the first chunk starts small and doubles (a small
   * search keeps a small store), later ones are whole. */
  private grow(c: number, at: number): void {
    if (c === 0) {
      let n = Math.max(1024, this.chunks.length === 0 ? 0 : this.chunks[0].length);
      while (n <= at) n *= 2;
      const first = this.make(Math.min(CHUNK, n));
      if (this.chunks.length > 0) first.set(this.chunks[0]);
      this.chunks[0] = first;
      return;
    }
    if (this.chunks[0].length < CHUNK) this.grow(0, CHUNK - 1);
    while (c >= this.chunks.length) this.chunks.push(this.make(CHUNK));
  }
  private limits(): void {
    this.min = this.bits === 32 ? -(2 ** 31) : 0;
    this.max = this.bits === 32 ? 2 ** 31 - 1 : 2 ** this.bits - 1;
  }
  /** The first `n` values in one array of 32 bits. */
  toInt32(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let c = 0; c * CHUNK < n; c++) out.set(this.chunks[c].subarray(0, Math.min(CHUNK, n - c * CHUNK)), c * CHUNK);
    return out;
  }
  get bytes(): number {
    let n = 0;
    for (const c of this.chunks) n += c.byteLength;
    return n;
  }
  private make(n: number): Ints {
    return this.bits === 8 ? new Uint8Array(n) : this.bits === 16 ? new Uint16Array(n) : new Int32Array(n);
  }
  private widen(bits: 16 | 32): void {
    this.bits = bits;
    this.limits();
    this.chunks = this.chunks.map((c) => {
      const wider = this.make(c.length);
      wider.set(c);
      return wider;
    });
  }
}

export class StateStore {
  /** Slot s holds a fingerprint in [2s] (high) and [2s+1] (low); (0, 0) marks an empty
   * slot (fingerprints are never (0, 0)). */
  private table: Int32Array;
  /** State index of each occupied slot (empty in a compact store). */
  private slotIndex: Int32Array;
  private slots: number;
  /** slots / 2^32: a 32-bit hash times this is a slot. */
  private scale: number;
  private growAt: number;
  /** Parent state index, or -1 for an initial state (empty in a compact store: parentOf). */
  parent: Int32Array;
  /** Index of the action in the parent's enabled-action list (for an initial state: its
   * index in `model.init`) (empty in a compact store: actionOf). */
  action: Int32Array;
  /** Depth at which the state was reached; initial states have depth 1 (as in TLC) (empty in
   * a compact store: depthOf). */
  depth: Int32Array;
  size = 0;
  private readonly indexed: boolean;
  /** Compact store: parent and action columns, and levelStart[d - 1], the index of the first
   * state of depth d. */
  private readonly parents: Column;
  private readonly actions: Column;
  private readonly levelStart: number[] = [];
  /** Keys `add` saw last, direct-mapped ((0, 0): empty); every one of them is in the table. */
  private recent: Int32Array;
  private recentShift: number;

  constructor(capacity = INITIAL_STATES, options: { readonly compact?: boolean } = {}) {
    this.indexed = options.compact !== true;
    const slots = this.indexed ? nextPowerOfTwo(Math.max(INITIAL_SLOTS, Math.ceil((capacity * 4) / 3))) : Math.max(INITIAL_SLOTS, Math.ceil(capacity / COMPACT_LOAD_AFTER_GROWTH));
    this.table = new Int32Array(slots * 2);
    this.slotIndex = new Int32Array(this.indexed ? slots : 0);
    this.slots = slots;
    this.scale = slots / 2 ** 32;
    this.growAt = this.loadMax(slots);
    const cap = this.indexed ? Math.max(16, capacity) : 0;
    this.parent = new Int32Array(cap);
    this.action = new Int32Array(cap);
    this.depth = new Int32Array(cap);
    this.parents = new Column(32);
    this.actions = new Column(8);
    this.recent = new Int32Array(0);
    this.recentShift = 32;
    this.sizeRecent();
  }

  /** A new recent-key cache (empty: it only answers for keys in the table) sized for the table. */
  private sizeRecent(): void {
    const bits = Math.max(RECENT_BITS_MIN, Math.min(RECENT_BITS_MAX, Math.floor(Math.log2(this.slots)) - 2));
    if (this.recent.length === 2 << bits) return;
    this.recent = new Int32Array(2 << bits);
    this.recentShift = 32 - bits;
  }

  /** Whether a state with this fingerprint is stored. */
  has(high: number, low: number): boolean {
    return this.slotOf(high, low) >= 0;
  }

  /** Gives a stored state a new parent link and depth (a shorter path found under DFS). */
  relink(index: number, parent: number, action: number, depth: number): void {
    if (!this.indexed) throw new Error('a compact state store keeps its states in breadth-first order: no relinking');
    this.parent[index] = parent;
    this.action[index] = action;
    this.depth[index] = depth;
  }

  /** The slot holding this fingerprint, or -(empty slot where it would go) - 1. */
  private slotOf(high: number, low: number): number {
    const table = this.table;
    const slots = this.slots;
    let slot = (slotHash(high, low) * this.scale) >>> 0;
    for (;;) {
      const h = table[slot * 2];
      const l = table[slot * 2 + 1];
      if (h === high && l === low) return slot;
      if (h === 0 && l === 0) return -slot - 1;
      if (++slot === slots) slot = 0;
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
   * (cheaper than `insert`: the existing state's index is not looked up). A compact store
   * takes states in breadth-first order: depth never decreases. */
  add(high: number, low: number, parent: number, action: number, depth: number): number {
    // Most successors were generated a moment ago from a sibling (diamonds): a small cache of
    // the keys added last answers them without a cache miss in the table.
    const recent = this.recent;
    const r = (Math.imul(high ^ low, 0x9e3779b1) >>> this.recentShift) * 2;
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
    if (this.indexed) {
      if (index === this.parent.length) this.growStates();
      this.slotIndex[slot] = index;
      this.parent[index] = parent;
      this.action[index] = action;
      this.depth[index] = depth;
    } else {
      this.enterLevel(index, depth);
      this.parents.set(index, parent);
      this.actions.set(index, action);
    }
    this.table[slot * 2] = high;
    this.table[slot * 2 + 1] = low;
    this.size = index + 1;
    if (this.size > this.growAt) this.growTable();
    return index;
  }

  /** Compact store: state `index` is at `depth`, not shallower than the last one stored. */
  private enterLevel(index: number, depth: number): void {
    const levels = this.levelStart.length;
    if (depth === levels) return;
    if (depth < levels || !Number.isInteger(depth)) throw new RangeError(`a compact state store takes states in breadth-first order: depth ${depth} after ${levels}`);
    while (this.levelStart.length < depth) this.levelStart.push(index);
  }

  /** Depth of a stored state (initial states at 1). */
  depthOf(index: number): number {
    if (this.indexed) return this.depth[index];
    // The last level whose first index is at most `index`.
    const starts = this.levelStart;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  parentOf(index: number): number {
    return this.indexed ? this.parent[index] : this.parents.get(index);
  }

  actionOf(index: number): number {
    return this.indexed ? this.action[index] : this.actions.get(index);
  }

  /** Every state's parent and action index, in 32-bit arrays of `size` entries. */
  links(): { parent: Int32Array; action: Int32Array } {
    if (this.indexed) return { parent: this.parent.slice(0, this.size), action: this.action.slice(0, this.size) };
    return { parent: this.parents.toInt32(this.size), action: this.actions.toInt32(this.size) };
  }

  /** The path of action indices from an initial state to `index`: [initIndex, a1, a2, ...]. */
  pathTo(index: number): number[] {
    const path: number[] = [];
    let i = index;
    while (i >= 0) {
      path.push(this.actionOf(i));
      i = this.parentOf(i);
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
      this.depth.byteLength +
      this.parents.bytes +
      this.actions.bytes +
      this.recent.byteLength
    );
  }

  private loadMax(slots: number): number {
    return this.indexed ? (slots * 3) >>> 2 : Math.floor(slots * COMPACT_LOAD_MAX);
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
    const slots = this.indexed ? this.slots * 2 : Math.ceil(this.size / COMPACT_LOAD_AFTER_GROWTH);
    const table = new Int32Array(slots * 2);
    const slotIndex = new Int32Array(this.indexed ? slots : 0);
    const scale = slots / 2 ** 32;
    for (let s = 0; s * 2 < old.length; s++) {
      const high = old[s * 2];
      const low = old[s * 2 + 1];
      if (high === 0 && low === 0) continue;
      let slot = (slotHash(high, low) * scale) >>> 0;
      while (table[slot * 2] !== 0 || table[slot * 2 + 1] !== 0) if (++slot === slots) slot = 0;
      table[slot * 2] = high;
      table[slot * 2 + 1] = low;
      if (this.indexed) slotIndex[slot] = oldIndex[s];
    }
    this.table = table;
    this.slotIndex = slotIndex;
    this.slots = slots;
    this.scale = scale;
    this.growAt = this.loadMax(slots);
    this.sizeRecent();
  }
}

/** Where a key's probe starts, as an unsigned 32-bit hash (multiplied by the table's size).
 * Fingerprints are well mixed already, but a packed state used as its own exact key
 * (core/codec.ts) is not: its bits are a few fields of the state, so they are mixed here
 * (murmur3's finaliser) before they pick a slot. */
function slotHash(high: number, low: number): number {
  let h = low ^ Math.imul(high, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
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
