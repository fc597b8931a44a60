// 64-bit structural fingerprints of plain data, computed without building a string.
//
// Every value has a 64-bit hash H(v), two 32-bit lanes mixed murmur3-style with different
// constants and cross-finalised:
// - a string is hashed once and remembered (protocol states repeat the same few words);
// - a record is the set of its (key, value) pairs: each pair is hashed on its own from the
//   key's hash and H(value), and the pair hashes are summed (per lane, modulo 2^32), so the
//   sum loses nothing but the order of the keys;
// - an array is the same with its indices as keys (and a different tag): each (index,
//   element) pair is hashed on its own, so replacing one element changes one term.
// The fingerprint of a state is a final mix of H(state).
//
// Semantics of equality:
// - numbers, strings, booleans, null and undefined are hashed with a type tag, so 1 != "1"
//   (-0 is hashed as 0, as compareValues and === see them);
// - arrays are ordered (a set must be kept as a sorted array: see core/data.ts);
// - records are hashed independently of key order, and a key whose value is undefined is the
//   same as an absent key;
// - Maps, Sets, functions and class instances are rejected: state must be plain data.
//
// Successors share most sub-objects with the state they come from. `remembering` keeps a
// shadow of the expanded state: for each array and record in it, by position, the value seen
// in each slot, its hash and its pair hash (and a record's keys). A successor is hashed by
// walking it alongside the shadow; a slot holding the very value (===) the shadow saw there
// takes its hashes from the shadow, and only what changed is hashed. The shadow is only a
// cache: every hash it supplies is H of the very value found, so a state gets the
// fingerprint it would get on its own. The shadow of the next expanded state is itself
// built alongside the previous one (in BFS order, consecutive states are mostly siblings).
//
// Re-entrancy: all mutable state used while hashing (the return registers, the shadows, the
// scratch arrays) belongs to a `Fingerprinter`, and a search creates its own, so two searches
// in one process never see each other's shadow. The only module-level mutable state is the
// string cache below, which maps a string to rows that are a function of the string alone
// and is bounded; sharing it cannot change a result. A worker thread loads its own copy of
// this module, so nothing is shared across threads. The free functions fingerprintInto and
// fingerprintHex hash one-off values with a module-private instance that never remembers.

const TAG_UNDEFINED = 0x01;
const TAG_NULL = 0x02;
const TAG_FALSE = 0x03;
const TAG_TRUE = 0x04;
const TAG_INT = 0x05;
const TAG_FLOAT = 0x06;
const TAG_STRING = 0x07;
const TAG_ARRAY = 0x08;
const TAG_RECORD = 0x09;
const TAG_INDEX = 0x0a;

const SEED_A = 0x2f1c0e4b;
const SEED_B = 0x6a09e667;

// One murmur3 round of each lane.
function mixA(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function mixB(h: number, k: number): number {
  k = Math.imul(k ^ 0x9e3779b9, 0x85ebca6b);
  k = (k << 16) | (k >>> 16);
  h ^= Math.imul(k, 0xc2b2ae35);
  h = (h << 17) | (h >>> 15);
  return (Math.imul(h, 9) + 0x52dce729) | 0;
}

/** murmur3's 32-bit finaliser. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

// The final hash of lanes (ha, hb) is (finalA, finalB(hb, finalA)): see Fingerprinter.finish.
function finalA(ha: number, salt: number): number {
  return fmix(ha ^ salt);
}

function finalB(hb: number, a: number): number {
  return fmix((hb + a) | 0);
}

function hashOfTag(tag: number): [number, number] {
  const a = finalA(mixA(SEED_A, tag), 0x61c88647);
  return [a, finalB(mixB(SEED_B, tag), a)];
}

const [UNDEFINED_A, UNDEFINED_B] = hashOfTag(TAG_UNDEFINED);
const [NULL_A, NULL_B] = hashOfTag(TAG_NULL);
const [FALSE_A, FALSE_B] = hashOfTag(TAG_FALSE);
const [TRUE_A, TRUE_B] = hashOfTag(TAG_TRUE);

function grow(arr: Int32Array, atLeast = 0): Int32Array<ArrayBuffer> {
  let n = arr.length * 2;
  while (n < atLeast) n *= 2;
  const out = new Int32Array(n);
  out.set(arr);
  return out;
}

// Lanes of an array or record header (tag, size) and of an array index as a key, for the
// small sizes and indices that states use; larger ones are computed. Constant once filled.
const SMALL = 64;
const arrayHeadA = new Int32Array(SMALL);
const arrayHeadB = new Int32Array(SMALL);
const recordHeadA = new Int32Array(SMALL);
const recordHeadB = new Int32Array(SMALL);
const indexA = new Int32Array(SMALL);
const indexB = new Int32Array(SMALL);
for (let n = 0; n < SMALL; n++) {
  arrayHeadA[n] = mixA(mixA(SEED_A, TAG_ARRAY), n);
  arrayHeadB[n] = mixB(mixB(SEED_B, TAG_ARRAY), n);
  recordHeadA[n] = mixA(mixA(SEED_A, TAG_RECORD), n);
  recordHeadB[n] = mixB(mixB(SEED_B, TAG_RECORD), n);
  indexA[n] = mixA(mixA(SEED_A, TAG_INDEX), n);
  indexB[n] = mixB(mixB(SEED_B, TAG_INDEX), n);
}

// ---- Strings (module-level: a pure, bounded cache) ---------------------------------------
//
// Strings are hashed once and remembered with their lanes as a record key. V8 keeps each
// string's own hash, so the Map lookup is cheap. Past STRING_CACHE_MAX distinct strings, new
// ones are hashed each time into the scratch row 0.
//
// This cache is shared by every Fingerprinter in the module (one per thread): a row holds
// H(s) and the key lanes of s, a function of s alone, so which instance filled it, and when,
// cannot change a result. It is bounded (STRING_CACHE_MAX rows, FRONT_SIZE front entries).
// Row 0 is written and read back within one synchronous call of a Fingerprinter method
// (stringRow, then its caller's read), so no other instance can write it in between.
const STRING_CACHE_MAX = 1 << 16;
const stringIds = new Map<string, number>();
/** Per string id, 4 words: H.a, H.b, key lane a, key lane b. */
let stringTable = new Int32Array(1024 * 4);

// In front of the Map, a small direct-mapped cache of rows, indexed by a string's length and
// first and last characters: states repeat a few keys and words, and comparing a string with
// the one cached (usually the very same string) costs less than a Map lookup.
const FRONT_SIZE = 256;
const frontString: (string | undefined)[] = new Array<string | undefined>(FRONT_SIZE).fill(undefined);
const frontRow = new Int32Array(FRONT_SIZE);

/** The row of `s` in stringTable (an index of its first word). */
function stringRow(s: string): number {
  const len = s.length;
  const h = len === 0 ? 0 : (Math.imul(len, 31) + Math.imul(s.charCodeAt(0), 7) + s.charCodeAt(len - 1)) & (FRONT_SIZE - 1);
  if (frontString[h] === s) return frontRow[h];
  const id = stringIds.get(s);
  if (id !== undefined) {
    frontString[h] = s;
    frontRow[h] = id * 4;
    return id * 4;
  }
  let ha = mixA(mixA(SEED_A, TAG_STRING), s.length);
  let hb = mixB(mixB(SEED_B, TAG_STRING), s.length);
  for (let i = 0; i < s.length; i += 2) {
    const w = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    ha = mixA(ha, w);
    hb = mixB(hb, w);
  }
  const a = finalA(ha, TAG_STRING);
  const b = finalB(hb, a);
  const full = stringIds.size >= STRING_CACHE_MAX;
  const row = full ? 0 : (stringIds.size + 1) * 4;
  if (row + 4 > stringTable.length) stringTable = grow(stringTable);
  stringTable[row] = a;
  stringTable[row + 1] = b;
  stringTable[row + 2] = mixA(mixA(SEED_A, a), b);
  stringTable[row + 3] = mixB(mixB(SEED_B, a), b);
  if (!full) {
    stringIds.set(s, row / 4);
    frontString[h] = s;
    frontRow[h] = row;
  }
  return row;
}

function checkPlainRecord(record: object): void {
  const proto = Object.getPrototypeOf(record);
  if (proto !== Object.prototype && proto !== null) {
    const name = (proto as { constructor?: { name?: string } }).constructor?.name ?? 'class instance';
    throw new TypeError(`cannot fingerprint a ${name}: state must be plain records, arrays and primitives`);
  }
}

// ---- Shadows -----------------------------------------------------------------------------
//
// Node n of a shadow is an array or record, numbered in pre-order, so the nodes of its
// subtree are n .. nodeEnd[n]-1. Its slots are start[n] .. start[n]+size[n]-1 (one per array
// element, or per key that for-in yields, in that order), and the slots of its whole subtree
// end at slotEnd[n]. A slot holds the value seen there, the key and its lanes (records), the
// value's hash, the pair hash (0/0 for an undefined record value) and the value's node, or -1.

interface Shadow {
  nodes: number;
  slots: number;
  obj: unknown[];
  nodeA: Int32Array;
  nodeB: Int32Array;
  start: Int32Array;
  size: Int32Array;
  /** Slots reserved for the node from start (>= size; an in-place update may reuse them). */
  cap: Int32Array;
  nodeEnd: Int32Array;
  slotEnd: Int32Array;
  val: unknown[];
  key: (string | undefined)[];
  keyA: Int32Array;
  keyB: Int32Array;
  elemA: Int32Array;
  elemB: Int32Array;
  pairA: Int32Array;
  pairB: Int32Array;
  child: Int32Array;
}

function newShadow(): Shadow {
  return {
    nodes: 0,
    slots: 0,
    obj: new Array(64).fill(undefined),
    nodeA: new Int32Array(64),
    nodeB: new Int32Array(64),
    start: new Int32Array(64),
    size: new Int32Array(64),
    cap: new Int32Array(64),
    nodeEnd: new Int32Array(64),
    slotEnd: new Int32Array(64),
    val: new Array(256).fill(undefined),
    key: new Array(256).fill(undefined),
    keyA: new Int32Array(256),
    keyB: new Int32Array(256),
    elemA: new Int32Array(256),
    elemB: new Int32Array(256),
    pairA: new Int32Array(256),
    pairB: new Int32Array(256),
    child: new Int32Array(256),
  };
}

function reserveNodes(w: Shadow, n: number): void {
  if (n <= w.nodeA.length) return;
  w.nodeA = grow(w.nodeA, n);
  w.nodeB = grow(w.nodeB, n);
  w.start = grow(w.start, n);
  w.size = grow(w.size, n);
  w.cap = grow(w.cap, n);
  w.nodeEnd = grow(w.nodeEnd, n);
  w.slotEnd = grow(w.slotEnd, n);
  // The object column is kept as long as the typed ones, so it is written without holes.
  for (let i = w.obj.length; i < w.nodeA.length; i++) w.obj.push(undefined);
}

function reserveSlots(w: Shadow, n: number): void {
  if (n <= w.keyA.length) return;
  w.keyA = grow(w.keyA, n);
  w.keyB = grow(w.keyB, n);
  w.elemA = grow(w.elemA, n);
  w.elemB = grow(w.elemB, n);
  w.pairA = grow(w.pairA, n);
  w.pairB = grow(w.pairB, n);
  w.child = grow(w.child, n);
  for (let i = w.val.length; i < w.keyA.length; i++) {
    w.val.push(undefined);
    w.key.push(undefined);
  }
}

// Objects deeper than this are not given nodes: a step replaces them whole (a message, an
// entry), so their hash, kept in their parent's slot, is all a successor can reuse.
const SHADOW_DEPTH = 2;

// ---- The fingerprinter ---------------------------------------------------------------------

/** Fingerprints plain data, keeping the shadow of the last remembered state as a cache. Owns
 * all the mutable state hashing uses, so instances are independent: a search creates its
 * own. Fields are all set in the constructor and keep their types, so V8 gives every
 * instance one shape. */
export class Fingerprinter {
  // H of the last value hashed: a method's 64-bit result, without allocating.
  private outA = 0;
  private outB = 0;
  /** The shadow read from (of the last remembered state), and the one being built. */
  private S: Shadow = newShadow();
  private W: Shadow = newShadow();
  private shadowActive = false;
  /** Whether S is laid out as recordShadowed builds it (see "Updating the shadow S"). */
  private shadowPristine = true;
  /** Slots of S when it was last built: past a multiple of it, S is rebuilt (abandoned slots). */
  private builtSlots = 0;
  private scratchVal: unknown[] = [];
  private scratchElemA = new Int32Array(64);
  private scratchElemB = new Int32Array(64);
  private scratchPairA = new Int32Array(64);
  private scratchPairB = new Int32Array(64);
  private readonly floatView = new Float64Array(1);
  private readonly floatWords = new Int32Array(this.floatView.buffer);
  private readonly hexOut = new Uint32Array(2);

  /** Writes the 64-bit fingerprint of `value` into out[0] (high word) and out[1] (low
   * word), hashing alongside the remembered shadow, if any. Never yields (0, 0). */
  into(value: unknown, out: Int32Array | Uint32Array): void {
    this.hashShadowed(value, this.shadowActive ? 0 : -1);
    this.writeFingerprint(out);
  }

  /** Fingerprints `value` and keeps a shadow of it in place of the one kept before: the
   * successors of `value`, which share sub-objects with it, are then fingerprinted by
   * `into` in time proportional to what changed. */
  remembering(value: unknown, out: Int32Array | Uint32Array): void {
    let updated: boolean;
    try {
      updated = this.updateShadow(value);
    } catch (e) {
      // Not plain data: S may be half updated, so it is dropped.
      this.forget();
      throw e;
    }
    if (!updated) {
      this.W.nodes = 0;
      this.W.slots = 0;
      this.shadowActive = false;
      // The hints of S are only followed when S is laid out in pre-order (see copySubtree).
      this.recordShadowed(value, this.S.nodes > 0 && this.shadowPristine ? 0 : -1, 1);
      const built = this.W;
      this.W = this.S;
      this.S = built;
      this.shadowActive = built.nodes > 0;
      this.shadowPristine = true;
      this.builtSlots = built.slots;
    }
    this.writeFingerprint(out);
  }

  /** Forgets the remembered shadows (so the objects they hold can be collected). */
  forget(): void {
    this.S = newShadow();
    this.W = newShadow();
    this.shadowActive = false;
    this.shadowPristine = true;
    this.builtSlots = 0;
  }

  /** The fingerprint as a 16-digit hex string (for display and tests). */
  hex(value: unknown): string {
    const out = this.hexOut;
    this.into(value, out);
    return out[0].toString(16).padStart(8, '0') + out[1].toString(16).padStart(8, '0');
  }

  private writeFingerprint(out: Int32Array | Uint32Array): void {
    const a = fmix(mixA(mixA(SEED_A, this.outA), this.outB) ^ 0x5bd1e995);
    const b = fmix((mixB(mixB(SEED_B, this.outA), this.outB) + a) | 0);
    out[0] = a;
    out[1] = b === 0 && a === 0 ? 1 : b;
  }

  // ---- Leaves: each sets outA/outB ----------------------------------------------------------

  /** outA/outB := the final hash of lanes (ha, hb). */
  private finish(ha: number, hb: number, salt: number): void {
    const a = finalA(ha, salt);
    this.outA = a;
    this.outB = finalB(hb, a);
  }

  /** outA/outB := the hash of the pair whose key lanes are (ka, kb) and whose value hash is
   * (outA, outB). */
  private pair(ka: number, kb: number): void {
    const va = this.outA;
    const vb = this.outB;
    this.finish(mixA(mixA(ka, va), vb), mixB(mixB(kb, va), vb), 0x27d4eb2f);
  }

  /** outA/outB := H of an array of `len` elements whose pair hashes sum to (sa, sb). */
  private finishArray(len: number, sa: number, sb: number): void {
    const ha = len < SMALL ? arrayHeadA[len] : mixA(mixA(SEED_A, TAG_ARRAY), len);
    const hb = len < SMALL ? arrayHeadB[len] : mixB(mixB(SEED_B, TAG_ARRAY), len);
    this.finish(mixA(mixA(ha, sa), sb), mixB(mixB(hb, sa), sb), TAG_ARRAY);
  }

  /** outA/outB := H of a record of `count` defined keys whose pair hashes sum to (sa, sb). */
  private finishRecord(count: number, sa: number, sb: number): void {
    const ha = count < SMALL ? recordHeadA[count] : mixA(mixA(SEED_A, TAG_RECORD), count);
    const hb = count < SMALL ? recordHeadB[count] : mixB(mixB(SEED_B, TAG_RECORD), count);
    this.finish(mixA(mixA(ha, sa), sb), mixB(mixB(hb, sa), sb), TAG_RECORD);
  }

  /** outA/outB := the pair hash of element (outA, outB) at index i. */
  private indexPair(i: number): void {
    if (i < SMALL) this.pair(indexA[i], indexB[i]);
    else this.pair(mixA(mixA(SEED_A, TAG_INDEX), i), mixB(mixB(SEED_B, TAG_INDEX), i));
  }

  private hashNumber(v: number): void {
    if ((v | 0) === v) {
      // Two bijections of v: distinct integers never share a lane.
      this.outA = fmix(((v ^ 0x7f4a7c15) + TAG_INT) | 0);
      this.outB = fmix(Math.imul(v, 0x9e3779b1) ^ 0x2545f491);
      return;
    }
    this.floatView[0] = v;
    const w0 = this.floatWords[0];
    const w1 = this.floatWords[1];
    this.finish(mixA(mixA(mixA(SEED_A, TAG_FLOAT), w0), w1), mixB(mixB(mixB(SEED_B, TAG_FLOAT), w0), w1), 0x61c88647);
  }

  /** outA/outB := H(value) for a primitive; objects go to hashShadowed. */
  private hashPrimitive(value: unknown): void {
    switch (typeof value) {
      case 'string': {
        const row = stringRow(value);
        this.outA = stringTable[row];
        this.outB = stringTable[row + 1];
        return;
      }
      case 'number':
        this.hashNumber(value);
        return;
      case 'boolean':
        this.outA = value ? TRUE_A : FALSE_A;
        this.outB = value ? TRUE_B : FALSE_B;
        return;
      case 'undefined':
        this.outA = UNDEFINED_A;
        this.outB = UNDEFINED_B;
        return;
      default:
        if (value === null) {
          this.outA = NULL_A;
          this.outB = NULL_B;
          return;
        }
        throw new TypeError(`cannot fingerprint a ${typeof value}: state must be plain data`);
    }
  }

  // ---- Hashing alongside the shadow S -------------------------------------------------------

  /** outA/outB := H(value). `n` is the node of S seen at the same place, or -1. */
  private hashShadowed(value: unknown, n: number): void {
    if (typeof value !== 'object' || value === null) {
      this.hashPrimitive(value);
    } else if (n >= 0 && this.S.obj[n] === value) {
      this.outA = this.S.nodeA[n];
      this.outB = this.S.nodeB[n];
    } else if (Array.isArray(value)) {
      this.hashArray(value, n);
    } else {
      this.hashRecord(value as Record<string, unknown>, n);
    }
  }

  private hashArray(arr: readonly unknown[], n: number): void {
    const len = arr.length;
    const s = this.S;
    let start = 0;
    let size = 0;
    if (n >= 0 && Array.isArray(s.obj[n])) {
      start = s.start[n];
      size = s.size[n];
    }
    const val = s.val;
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < len; i++) {
      const e = arr[i];
      const f = start + i;
      if (i < size && val[f] === e) {
        sa = (sa + s.pairA[f]) | 0;
        sb = (sb + s.pairB[f]) | 0;
        continue;
      }
      if (i > 0 && i <= size && val[f - 1] === e) {
        // Shifted right by an insertion before it (a sorted set that grew).
        this.outA = s.elemA[f - 1];
        this.outB = s.elemB[f - 1];
      } else if (i + 1 < size && val[f + 1] === e) {
        // Shifted left by a removal before it.
        this.outA = s.elemA[f + 1];
        this.outB = s.elemB[f + 1];
      } else {
        this.hashShadowed(e, i < size ? s.child[f] : -1);
      }
      this.indexPair(i);
      sa = (sa + this.outA) | 0;
      sb = (sb + this.outB) | 0;
    }
    this.finishArray(len, sa, sb);
  }

  private hashRecord(record: Record<string, unknown>, n: number): void {
    checkPlainRecord(record);
    const s = this.S;
    let start = 0;
    let size = 0;
    if (n >= 0 && !Array.isArray(s.obj[n])) {
      start = s.start[n];
      size = s.size[n];
    }
    const keys = s.key;
    let sa = 0;
    let sb = 0;
    let count = 0;
    let j = 0;
    for (const key in record) {
      const v = record[key];
      const f = start + j++;
      if (v === undefined) continue;
      count++;
      if (j <= size && keys[f] === key) {
        if (s.val[f] === v) {
          sa = (sa + s.pairA[f]) | 0;
          sb = (sb + s.pairB[f]) | 0;
          continue;
        }
        this.hashShadowed(v, s.child[f]);
        this.pair(s.keyA[f], s.keyB[f]);
      } else {
        this.hashShadowed(v, -1);
        const row = stringRow(key);
        this.pair(stringTable[row + 2], stringTable[row + 3]);
      }
      sa = (sa + this.outA) | 0;
      sb = (sb + this.outB) | 0;
    }
    this.finishRecord(count, sa, sb);
  }

  // ---- Building the shadow W alongside S ----------------------------------------------------

  /** outA/outB := H(value), recording value's objects in W down to SHADOW_DEPTH. `p` is the
   * node of S seen at the same place, or -1; `depth` is value's depth (the state is at 1).
   * Returns value's node in W, or -1 when it has none. */
  private recordShadowed(value: unknown, p: number, depth: number): number {
    if (typeof value !== 'object' || value === null) {
      this.hashPrimitive(value);
      return -1;
    }
    if (p >= 0 && this.S.obj[p] === value) return this.copySubtree(p);
    if (depth > SHADOW_DEPTH) {
      this.hashShadowed(value, p);
      return -1;
    }
    return Array.isArray(value)
      ? this.recordArray(value, p, depth)
      : this.recordRecord(value as Record<string, unknown>, p, depth);
  }

  private newNode(obj: object, size: number): number {
    const w = this.W;
    const n = w.nodes++;
    reserveNodes(w, n + 1);
    reserveSlots(w, w.slots + size);
    w.obj[n] = obj;
    w.start[n] = w.slots;
    w.size[n] = size;
    w.cap[n] = size;
    w.slots += size;
    return n;
  }

  /** Closes node n of W, whose hash is outA/outB. */
  private endNode(n: number): number {
    const w = this.W;
    w.nodeA[n] = this.outA;
    w.nodeB[n] = this.outB;
    w.nodeEnd[n] = w.nodes;
    w.slotEnd[n] = w.slots;
    return n;
  }

  /** Copies node p of S and its subtree to the end of W; outA/outB := its hash. */
  private copySubtree(p: number): number {
    const s = this.S;
    const w = this.W;
    const nodeCount = s.nodeEnd[p] - p;
    const slotFirst = s.start[p];
    const slotCount = s.slotEnd[p] - slotFirst;
    const n0 = w.nodes;
    const f0 = w.slots;
    reserveNodes(w, n0 + nodeCount);
    reserveSlots(w, f0 + slotCount);
    const dn = n0 - p;
    const df = f0 - slotFirst;
    for (let q = p; q < p + nodeCount; q++) {
      const r = q + dn;
      w.obj[r] = s.obj[q];
      w.nodeA[r] = s.nodeA[q];
      w.nodeB[r] = s.nodeB[q];
      w.start[r] = s.start[q] + df;
      w.size[r] = s.size[q];
      w.cap[r] = s.cap[q];
      w.nodeEnd[r] = s.nodeEnd[q] + dn;
      w.slotEnd[r] = s.slotEnd[q] + df;
    }
    for (let g = slotFirst; g < slotFirst + slotCount; g++) {
      const r = g + df;
      w.val[r] = s.val[g];
      w.key[r] = s.key[g];
      w.keyA[r] = s.keyA[g];
      w.keyB[r] = s.keyB[g];
      w.elemA[r] = s.elemA[g];
      w.elemB[r] = s.elemB[g];
      w.pairA[r] = s.pairA[g];
      w.pairB[r] = s.pairB[g];
      const c = s.child[g];
      w.child[r] = c >= 0 ? c + dn : -1;
    }
    w.nodes = n0 + nodeCount;
    w.slots = f0 + slotCount;
    this.outA = s.nodeA[p];
    this.outB = s.nodeB[p];
    return n0;
  }

  private recordArray(arr: readonly unknown[], p: number, depth: number): number {
    const s = this.S;
    const len = arr.length;
    let pStart = 0;
    let pSize = 0;
    if (p >= 0 && Array.isArray(s.obj[p])) {
      pStart = s.start[p];
      pSize = s.size[p];
    }
    const n = this.newNode(arr, len);
    const w = this.W;
    const start = w.start[n];
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < len; i++) {
      const e = arr[i];
      const f = start + i;
      const pf = pStart + i;
      const same = i < pSize && s.val[pf] === e;
      let c: number;
      if (same) {
        const pc = s.child[pf];
        c = pc >= 0 ? this.copySubtree(pc) : -1;
        this.outA = s.elemA[pf];
        this.outB = s.elemB[pf];
      } else {
        c = this.recordShadowed(e, i < pSize ? s.child[pf] : -1, depth + 1);
      }
      // Read w's columns afresh: the calls above may have regrown them.
      w.val[f] = e;
      w.key[f] = undefined;
      w.child[f] = c;
      w.elemA[f] = this.outA;
      w.elemB[f] = this.outB;
      if (same) {
        this.outA = s.pairA[pf];
        this.outB = s.pairB[pf];
      } else {
        this.indexPair(i);
      }
      w.pairA[f] = this.outA;
      w.pairB[f] = this.outB;
      sa = (sa + this.outA) | 0;
      sb = (sb + this.outB) | 0;
    }
    this.finishArray(len, sa, sb);
    return this.endNode(n);
  }

  private recordRecord(record: Record<string, unknown>, p: number, depth: number): number {
    checkPlainRecord(record);
    const s = this.S;
    let pStart = 0;
    let pSize = 0;
    if (p >= 0 && !Array.isArray(s.obj[p])) {
      pStart = s.start[p];
      pSize = s.size[p];
    }
    let size = 0;
    for (const _ in record) size++;
    const n = this.newNode(record, size);
    const w = this.W;
    const start = w.start[n];
    let sa = 0;
    let sb = 0;
    let count = 0;
    let j = 0;
    for (const key in record) {
      const v = record[key];
      const f = start + j;
      const pf = pStart + j;
      const hinted = j < pSize && s.key[pf] === key;
      j++;
      let ka: number;
      let kb: number;
      if (hinted) {
        ka = s.keyA[pf];
        kb = s.keyB[pf];
      } else {
        const row = stringRow(key);
        ka = stringTable[row + 2];
        kb = stringTable[row + 3];
      }
      const same = hinted && s.val[pf] === v;
      let c = -1;
      if (v === undefined) {
        this.outA = this.outB = 0;
      } else if (same) {
        const pc = s.child[pf];
        if (pc >= 0) c = this.copySubtree(pc);
        this.outA = s.elemA[pf];
        this.outB = s.elemB[pf];
      } else {
        c = this.recordShadowed(v, hinted ? s.child[pf] : -1, depth + 1);
      }
      w.val[f] = v;
      w.key[f] = key;
      w.keyA[f] = ka;
      w.keyB[f] = kb;
      w.child[f] = c;
      w.elemA[f] = this.outA;
      w.elemB[f] = this.outB;
      if (v !== undefined) {
        count++;
        if (same) {
          this.outA = s.pairA[pf];
          this.outB = s.pairB[pf];
        } else {
          this.pair(ka, kb);
        }
      }
      w.pairA[f] = this.outA;
      w.pairB[f] = this.outB;
      sa = (sa + this.outA) | 0;
      sb = (sb + this.outB) | 0;
    }
    this.finishRecord(count, sa, sb);
    return this.endNode(n);
  }

  // ---- Updating the shadow S in place -------------------------------------------------------
  //
  // In BFS order consecutive expanded states are mostly siblings: they differ in one or two
  // fields. When the new state has the layout of S at the top (the same keys in the same
  // order, or the same length) and each changed field keeps its kind, S is updated field by
  // field, so remembering costs what changed. A node that grows past its slots gets new ones
  // at the end; S is then no longer in pre-order (`shadowPristine`), which only copySubtree
  // relies on.

  /** Updates S in place to be the shadow of `value`, leaving outA/outB = H(value); returns
   * false, with S untouched, when `value` does not have S's layout. */
  private updateShadow(value: unknown): boolean {
    const s = this.S;
    if (s.nodes === 0 || typeof value !== 'object' || value === null) return false;
    if (s.slots > 4 * this.builtSlots + 256) return false;
    const isArray = Array.isArray(value);
    if (isArray !== Array.isArray(s.obj[0])) return false;
    const start = s.start[0];
    const size = s.size[0];
    // First check that the update can be done, so that S is never left half updated.
    if (isArray) {
      const arr = value as readonly unknown[];
      if (arr.length !== size) return false;
      for (let i = 0; i < size; i++) if (!this.slotUpdatable(start + i, arr[i])) return false;
    } else {
      checkPlainRecord(value);
      const record = value as Record<string, unknown>;
      let j = 0;
      for (const key in record) {
        if (j >= size || s.key[start + j] !== key || !this.slotUpdatable(start + j, record[key])) return false;
        j++;
      }
      if (j !== size) return false;
    }
    if (isArray) this.updateTopArray(value as readonly unknown[], start, size);
    else this.updateTopRecord(value as Record<string, unknown>, start);
    s.obj[0] = value;
    s.nodeA[0] = this.outA;
    s.nodeB[0] = this.outB;
    return true;
  }

  /** The top node of S, an array of `size` slots from `start`, becomes `arr` (of that
   * length); outA/outB := H(arr). */
  private updateTopArray(arr: readonly unknown[], start: number, size: number): void {
    const s = this.S;
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < size; i++) {
      const f = start + i;
      const v = arr[i];
      if (s.val[f] !== v) {
        this.updateSlotValue(f, v);
        this.indexPair(i);
        s.pairA[f] = this.outA;
        s.pairB[f] = this.outB;
      }
      sa = (sa + s.pairA[f]) | 0;
      sb = (sb + s.pairB[f]) | 0;
    }
    this.finishArray(size, sa, sb);
  }

  /** The top node of S, a record with slots from `start`, becomes `record` (same keys in
   * the same order); outA/outB := H(record). */
  private updateTopRecord(record: Record<string, unknown>, start: number): void {
    const s = this.S;
    let sa = 0;
    let sb = 0;
    let count = 0;
    let f = start;
    for (const key in record) {
      const v = record[key];
      if (s.val[f] !== v) {
        this.updateSlotValue(f, v);
        if (v === undefined) {
          this.outA = this.outB = 0;
        } else {
          this.pair(s.keyA[f], s.keyB[f]);
        }
        s.pairA[f] = this.outA;
        s.pairB[f] = this.outB;
      }
      if (v !== undefined) count++;
      sa = (sa + s.pairA[f]) | 0;
      sb = (sb + s.pairB[f]) | 0;
      f++;
    }
    this.finishRecord(count, sa, sb);
  }

  /** Whether top-level slot f of S can take `v` in place: the same value, a primitive where
   * there was no node, an array where there was an array node, or a record with the same
   * keys in the same order where there was a record node. */
  private slotUpdatable(f: number, v: unknown): boolean {
    const s = this.S;
    if (s.val[f] === v) return true;
    const c = s.child[f];
    if (typeof v !== 'object' || v === null) return c < 0;
    if (c < 0) return false;
    if (Array.isArray(v)) return Array.isArray(s.obj[c]);
    if (Array.isArray(s.obj[c])) return false;
    checkPlainRecord(v);
    const start = s.start[c];
    const size = s.size[c];
    let k = 0;
    for (const key in v as Record<string, unknown>) {
      if (k >= size || s.key[start + k] !== key) return false;
      k++;
    }
    return k === size;
  }

  /** Top-level slot f of S takes `v` (checked by slotUpdatable); its node, if any, is
   * updated. Leaves outA/outB = H(v), and sets the slot's value and element hash (not its
   * pair hash). */
  private updateSlotValue(f: number, v: unknown): void {
    const s = this.S;
    const c = s.child[f];
    if (c < 0) {
      this.hashPrimitive(v);
    } else if (Array.isArray(v)) {
      this.updateArrayNode(c, v);
    } else {
      this.updateRecordNode(c, v as Record<string, unknown>);
    }
    s.val[f] = v;
    s.elemA[f] = this.outA;
    s.elemB[f] = this.outB;
  }

  /** Copies the `size` slots of S from `start` to the scratch columns. */
  private saveSlots(start: number, size: number): void {
    const s = this.S;
    if (size > this.scratchElemA.length) {
      this.scratchElemA = grow(this.scratchElemA, size);
      this.scratchElemB = grow(this.scratchElemB, size);
      this.scratchPairA = grow(this.scratchPairA, size);
      this.scratchPairB = grow(this.scratchPairB, size);
    }
    const sv = this.scratchVal;
    const ea = this.scratchElemA;
    const eb = this.scratchElemB;
    const pa = this.scratchPairA;
    const pb = this.scratchPairB;
    for (let i = 0; i < size; i++) {
      const g = start + i;
      sv[i] = s.val[g];
      ea[i] = s.elemA[g];
      eb[i] = s.elemB[g];
      pa[i] = s.pairA[g];
      pb[i] = s.pairB[g];
    }
  }

  /** Array node c of S becomes `arr`; outA/outB := H(arr). Elements have no nodes (they are
   * below SHADOW_DEPTH): an element seen at the same index, or one off (a sorted set that
   * gained or lost a member), keeps its hash. */
  private updateArrayNode(c: number, arr: readonly unknown[]): void {
    const s = this.S;
    const len = arr.length;
    const oldStart = s.start[c];
    const oldSize = s.size[c];
    this.saveSlots(oldStart, oldSize);
    const sv = this.scratchVal;
    const ea = this.scratchElemA;
    const eb = this.scratchElemB;
    const pa = this.scratchPairA;
    const pb = this.scratchPairB;
    let start = oldStart;
    if (len > s.cap[c]) {
      start = s.slots;
      reserveSlots(s, start + len);
      s.slots = start + len;
      s.start[c] = start;
      s.cap[c] = len;
      this.shadowPristine = false;
      for (let i = 0; i < oldSize; i++) s.val[oldStart + i] = undefined;
    }
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < len; i++) {
      const e = arr[i];
      const f = start + i;
      if (i < oldSize && sv[i] === e) {
        s.elemA[f] = ea[i];
        s.elemB[f] = eb[i];
        this.outA = pa[i];
        this.outB = pb[i];
      } else {
        if (i > 0 && i <= oldSize && sv[i - 1] === e) {
          this.outA = ea[i - 1];
          this.outB = eb[i - 1];
        } else if (i + 1 < oldSize && sv[i + 1] === e) {
          this.outA = ea[i + 1];
          this.outB = eb[i + 1];
        } else {
          this.hashShadowed(e, -1);
        }
        s.elemA[f] = this.outA;
        s.elemB[f] = this.outB;
        this.indexPair(i);
      }
      s.val[f] = e;
      s.key[f] = undefined;
      s.child[f] = -1;
      s.pairA[f] = this.outA;
      s.pairB[f] = this.outB;
      sa = (sa + this.outA) | 0;
      sb = (sb + this.outB) | 0;
    }
    for (let i = len; i < oldSize && start === oldStart; i++) s.val[start + i] = undefined;
    for (let i = 0; i < oldSize; i++) sv[i] = undefined;
    s.size[c] = len;
    s.obj[c] = arr;
    this.finishArray(len, sa, sb);
    s.nodeA[c] = this.outA;
    s.nodeB[c] = this.outB;
  }

  /** Record node c of S becomes `record`, which has its keys in the same order (checked by
   * slotUpdatable); outA/outB := H(record). */
  private updateRecordNode(c: number, record: Record<string, unknown>): void {
    const s = this.S;
    let f = s.start[c];
    let sa = 0;
    let sb = 0;
    let count = 0;
    for (const key in record) {
      const v = record[key];
      if (s.val[f] !== v) {
        if (v === undefined) {
          this.outA = this.outB = 0;
        } else {
          this.hashShadowed(v, -1);
        }
        s.val[f] = v;
        s.elemA[f] = this.outA;
        s.elemB[f] = this.outB;
        if (v !== undefined) this.pair(s.keyA[f], s.keyB[f]);
        s.pairA[f] = this.outA;
        s.pairB[f] = this.outB;
      }
      if (v !== undefined) count++;
      sa = (sa + s.pairA[f]) | 0;
      sb = (sb + s.pairB[f]) | 0;
      f++;
    }
    s.obj[c] = record;
    this.finishRecord(count, sa, sb);
    s.nodeA[c] = this.outA;
    s.nodeB[c] = this.outB;
  }
}

// ---- Conveniences --------------------------------------------------------------------------

/** Never given a shadow (nothing here calls `remembering` on it), so its results depend on
 * the value alone. */
const oneOff = new Fingerprinter();

/** Writes the 64-bit fingerprint of `value` into out[0] (high word) and out[1] (low word).
 * Never yields (0, 0). For one-off hashing; a search creates its own Fingerprinter. */
export function fingerprintInto(value: unknown, out: Int32Array | Uint32Array): void {
  oneOff.into(value, out);
}

/** The fingerprint as a 16-digit hex string (for display and tests). For one-off hashing; a
 * search creates its own Fingerprinter. */
export function fingerprintHex(value: unknown): string {
  return oneOff.hex(value);
}
