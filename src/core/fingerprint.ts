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
// Successors share most sub-objects with the state they come from. `fingerprintRemembering`
// keeps a shadow of the expanded state: for each array and record in it, by position, the
// value seen in each slot, its hash and its pair hash (and a record's keys). A successor is
// hashed by walking it alongside the shadow; a slot holding the very value (===) the shadow
// saw there takes its hashes from the shadow, and only what changed is hashed. The shadow
// is only a cache: every hash it supplies is H of the very value found, so a state gets the
// fingerprint it would get on its own. The shadow of the next expanded state is itself
// built alongside the previous one (in BFS order, consecutive states are mostly siblings).

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

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

// H of the last value hashed: a function's 64-bit result, without allocating.
let outA = 0;
let outB = 0;

/** outA/outB := the final hash of lanes (ha, hb). */
function finish(ha: number, hb: number, salt: number): void {
  const a = fmix(ha ^ salt);
  outA = a;
  outB = fmix((hb + a) | 0);
}

/** outA/outB := the hash of the pair whose key lanes are (ka, kb) and whose value hash is
 * (outA, outB). */
function pair(ka: number, kb: number): void {
  const va = outA;
  const vb = outB;
  finish(mixA(mixA(ka, va), vb), mixB(mixB(kb, va), vb), 0x27d4eb2f);
}

function hashOfTag(tag: number): [number, number] {
  finish(mixA(SEED_A, tag), mixB(SEED_B, tag), 0x61c88647);
  return [outA, outB];
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
// small sizes and indices that states use; larger ones are computed.
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

/** outA/outB := H of an array of `len` elements whose pair hashes sum to (sa, sb). */
function finishArray(len: number, sa: number, sb: number): void {
  const ha = len < SMALL ? arrayHeadA[len] : mixA(mixA(SEED_A, TAG_ARRAY), len);
  const hb = len < SMALL ? arrayHeadB[len] : mixB(mixB(SEED_B, TAG_ARRAY), len);
  finish(mixA(mixA(ha, sa), sb), mixB(mixB(hb, sa), sb), TAG_ARRAY);
}

/** outA/outB := H of a record of `count` defined keys whose pair hashes sum to (sa, sb). */
function finishRecord(count: number, sa: number, sb: number): void {
  const ha = count < SMALL ? recordHeadA[count] : mixA(mixA(SEED_A, TAG_RECORD), count);
  const hb = count < SMALL ? recordHeadB[count] : mixB(mixB(SEED_B, TAG_RECORD), count);
  finish(mixA(mixA(ha, sa), sb), mixB(mixB(hb, sa), sb), TAG_RECORD);
}

/** outA/outB := the pair hash of element (outA, outB) at index i. */
function indexPair(i: number): void {
  if (i < SMALL) pair(indexA[i], indexB[i]);
  else pair(mixA(mixA(SEED_A, TAG_INDEX), i), mixB(mixB(SEED_B, TAG_INDEX), i));
}

// Strings: hashed once and remembered with their lanes as a record key. V8 keeps each
// string's own hash, so the Map lookup is cheap. Past STRING_CACHE_MAX distinct strings, new
// ones are hashed each time into the scratch row 0.
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
  // Callers may hold a value's hash in outA/outB: keep it.
  const savedA = outA;
  const savedB = outB;
  let ha = mixA(mixA(SEED_A, TAG_STRING), s.length);
  let hb = mixB(mixB(SEED_B, TAG_STRING), s.length);
  for (let i = 0; i < s.length; i += 2) {
    const w = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    ha = mixA(ha, w);
    hb = mixB(hb, w);
  }
  finish(ha, hb, TAG_STRING);
  const full = stringIds.size >= STRING_CACHE_MAX;
  const row = full ? 0 : (stringIds.size + 1) * 4;
  if (row + 4 > stringTable.length) stringTable = grow(stringTable);
  stringTable[row] = outA;
  stringTable[row + 1] = outB;
  stringTable[row + 2] = mixA(mixA(SEED_A, outA), outB);
  stringTable[row + 3] = mixB(mixB(SEED_B, outA), outB);
  if (!full) {
    stringIds.set(s, row / 4);
    frontString[h] = s;
    frontRow[h] = row;
  }
  outA = savedA;
  outB = savedB;
  return row;
}

const floatView = new Float64Array(1);
const floatWords = new Int32Array(floatView.buffer);

function hashNumber(v: number): void {
  if ((v | 0) === v) {
    // Two bijections of v: distinct integers never share a lane.
    outA = fmix(((v ^ 0x7f4a7c15) + TAG_INT) | 0);
    outB = fmix(Math.imul(v, 0x9e3779b1) ^ 0x2545f491);
    return;
  }
  floatView[0] = v;
  const w0 = floatWords[0];
  const w1 = floatWords[1];
  finish(mixA(mixA(mixA(SEED_A, TAG_FLOAT), w0), w1), mixB(mixB(mixB(SEED_B, TAG_FLOAT), w0), w1), 0x61c88647);
}

/** outA/outB := H(value) for a primitive; objects go to hashShadowed. */
function hashPrimitive(value: unknown): void {
  switch (typeof value) {
    case 'string': {
      const row = stringRow(value);
      outA = stringTable[row];
      outB = stringTable[row + 1];
      return;
    }
    case 'number':
      hashNumber(value);
      return;
    case 'boolean':
      outA = value ? TRUE_A : FALSE_A;
      outB = value ? TRUE_B : FALSE_B;
      return;
    case 'undefined':
      outA = UNDEFINED_A;
      outB = UNDEFINED_B;
      return;
    default:
      if (value === null) {
        outA = NULL_A;
        outB = NULL_B;
        return;
      }
      throw new TypeError(`cannot fingerprint a ${typeof value}: state must be plain data`);
  }
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

/** The shadow read from (of the last remembered state), and the one being built. */
let S = newShadow();
let W = newShadow();
let shadowActive = false;

// ---- Hashing alongside the shadow S ------------------------------------------------------

/** outA/outB := H(value). `n` is the node of S seen at the same place, or -1. */
function hashShadowed(value: unknown, n: number): void {
  if (typeof value !== 'object' || value === null) {
    hashPrimitive(value);
  } else if (n >= 0 && S.obj[n] === value) {
    outA = S.nodeA[n];
    outB = S.nodeB[n];
  } else if (Array.isArray(value)) {
    hashArray(value, n);
  } else {
    hashRecord(value as Record<string, unknown>, n);
  }
}

function hashArray(arr: readonly unknown[], n: number): void {
  const len = arr.length;
  let start = 0;
  let size = 0;
  if (n >= 0 && Array.isArray(S.obj[n])) {
    start = S.start[n];
    size = S.size[n];
  }
  const s = S;
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
      outA = s.elemA[f - 1];
      outB = s.elemB[f - 1];
    } else if (i + 1 < size && val[f + 1] === e) {
      // Shifted left by a removal before it.
      outA = s.elemA[f + 1];
      outB = s.elemB[f + 1];
    } else {
      hashShadowed(e, i < size ? s.child[f] : -1);
    }
    indexPair(i);
    sa = (sa + outA) | 0;
    sb = (sb + outB) | 0;
  }
  finishArray(len, sa, sb);
}

function hashRecord(record: Record<string, unknown>, n: number): void {
  checkPlainRecord(record);
  let start = 0;
  let size = 0;
  if (n >= 0 && !Array.isArray(S.obj[n])) {
    start = S.start[n];
    size = S.size[n];
  }
  const s = S;
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
      hashShadowed(v, s.child[f]);
      pair(s.keyA[f], s.keyB[f]);
    } else {
      hashShadowed(v, -1);
      const row = stringRow(key);
      pair(stringTable[row + 2], stringTable[row + 3]);
    }
    sa = (sa + outA) | 0;
    sb = (sb + outB) | 0;
  }
  finishRecord(count, sa, sb);
}

// ---- Building the shadow W alongside S ---------------------------------------------------

// Objects deeper than this are not given nodes: a step replaces them whole (a message, an
// entry), so their hash, kept in their parent's slot, is all a successor can reuse.
const SHADOW_DEPTH = 2;

/** outA/outB := H(value), recording value's objects in W down to SHADOW_DEPTH. `p` is the
 * node of S seen at the same place, or -1; `depth` is value's depth (the state is at 1).
 * Returns value's node in W, or -1 when it has none. */
function recordShadowed(value: unknown, p: number, depth: number): number {
  if (typeof value !== 'object' || value === null) {
    hashPrimitive(value);
    return -1;
  }
  if (p >= 0 && S.obj[p] === value) return copySubtree(p);
  if (depth > SHADOW_DEPTH) {
    hashShadowed(value, p);
    return -1;
  }
  return Array.isArray(value) ? recordArray(value, p, depth) : recordRecord(value as Record<string, unknown>, p, depth);
}

function newNode(obj: object, size: number): number {
  const w = W;
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
function endNode(n: number): number {
  const w = W;
  w.nodeA[n] = outA;
  w.nodeB[n] = outB;
  w.nodeEnd[n] = w.nodes;
  w.slotEnd[n] = w.slots;
  return n;
}

/** Copies node p of S and its subtree to the end of W; outA/outB := its hash. */
function copySubtree(p: number): number {
  const s = S;
  const w = W;
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
  outA = s.nodeA[p];
  outB = s.nodeB[p];
  return n0;
}

function recordArray(arr: readonly unknown[], p: number, depth: number): number {
  const len = arr.length;
  let pStart = 0;
  let pSize = 0;
  if (p >= 0 && Array.isArray(S.obj[p])) {
    pStart = S.start[p];
    pSize = S.size[p];
  }
  const n = newNode(arr, len);
  const start = W.start[n];
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < len; i++) {
    const e = arr[i];
    const f = start + i;
    const pf = pStart + i;
    const same = i < pSize && S.val[pf] === e;
    let c: number;
    if (same) {
      const pc = S.child[pf];
      c = pc >= 0 ? copySubtree(pc) : -1;
      outA = S.elemA[pf];
      outB = S.elemB[pf];
    } else {
      c = recordShadowed(e, i < pSize ? S.child[pf] : -1, depth + 1);
    }
    const w = W;
    w.val[f] = e;
    w.key[f] = undefined;
    w.child[f] = c;
    w.elemA[f] = outA;
    w.elemB[f] = outB;
    if (same) {
      outA = S.pairA[pf];
      outB = S.pairB[pf];
    } else {
      indexPair(i);
    }
    w.pairA[f] = outA;
    w.pairB[f] = outB;
    sa = (sa + outA) | 0;
    sb = (sb + outB) | 0;
  }
  finishArray(len, sa, sb);
  return endNode(n);
}

function recordRecord(record: Record<string, unknown>, p: number, depth: number): number {
  checkPlainRecord(record);
  let pStart = 0;
  let pSize = 0;
  if (p >= 0 && !Array.isArray(S.obj[p])) {
    pStart = S.start[p];
    pSize = S.size[p];
  }
  let size = 0;
  for (const _ in record) size++;
  const n = newNode(record, size);
  const start = W.start[n];
  let sa = 0;
  let sb = 0;
  let count = 0;
  let j = 0;
  for (const key in record) {
    const v = record[key];
    const f = start + j;
    const pf = pStart + j;
    const hinted = j < pSize && S.key[pf] === key;
    j++;
    let ka: number;
    let kb: number;
    if (hinted) {
      ka = S.keyA[pf];
      kb = S.keyB[pf];
    } else {
      const row = stringRow(key);
      ka = stringTable[row + 2];
      kb = stringTable[row + 3];
    }
    const same = hinted && S.val[pf] === v;
    let c = -1;
    if (v === undefined) {
      outA = outB = 0;
    } else if (same) {
      const pc = S.child[pf];
      if (pc >= 0) c = copySubtree(pc);
      outA = S.elemA[pf];
      outB = S.elemB[pf];
    } else {
      c = recordShadowed(v, hinted ? S.child[pf] : -1, depth + 1);
    }
    const w = W;
    w.val[f] = v;
    w.key[f] = key;
    w.keyA[f] = ka;
    w.keyB[f] = kb;
    w.child[f] = c;
    w.elemA[f] = outA;
    w.elemB[f] = outB;
    if (v !== undefined) {
      count++;
      if (same) {
        outA = S.pairA[pf];
        outB = S.pairB[pf];
      } else {
        pair(ka, kb);
      }
    }
    w.pairA[f] = outA;
    w.pairB[f] = outB;
    sa = (sa + outA) | 0;
    sb = (sb + outB) | 0;
  }
  finishRecord(count, sa, sb);
  return endNode(n);
}

// ---- Public functions --------------------------------------------------------------------

function writeFingerprint(out: Int32Array | Uint32Array): void {
  const a = fmix(mixA(mixA(SEED_A, outA), outB) ^ 0x5bd1e995);
  const b = fmix((mixB(mixB(SEED_B, outA), outB) + a) | 0);
  out[0] = a;
  out[1] = b === 0 && a === 0 ? 1 : b;
}

/** Writes the 64-bit fingerprint of `value` into out[0] (high word) and out[1] (low word).
 * Never yields (0, 0). */
export function fingerprintInto(value: unknown, out: Int32Array | Uint32Array): void {
  hashShadowed(value, shadowActive ? 0 : -1);
  writeFingerprint(out);
}

/** Fingerprints `value` and keeps a shadow of it in place of the one kept before: the
 * successors of `value`, which share sub-objects with it, are then fingerprinted in time
 * proportional to what changed. */
export function fingerprintRemembering(value: unknown, out: Int32Array | Uint32Array): void {
  let updated: boolean;
  try {
    updated = updateShadow(value);
  } catch (e) {
    // Not plain data: S may be half updated, so it is dropped.
    forgetSubtrees();
    throw e;
  }
  if (!updated) {
    W.nodes = 0;
    W.slots = 0;
    shadowActive = false;
    // The hints of S are only followed when S is laid out in pre-order (see copySubtree).
    recordShadowed(value, S.nodes > 0 && shadowPristine ? 0 : -1, 1);
    const built = W;
    W = S;
    S = built;
    shadowActive = S.nodes > 0;
    shadowPristine = true;
    builtSlots = S.slots;
  }
  writeFingerprint(out);
}

// ---- Updating the shadow S in place ------------------------------------------------------
//
// In BFS order consecutive expanded states are mostly siblings: they differ in one or two
// fields. When the new state has the layout of S at the top (the same keys in the same order,
// or the same length) and each changed field keeps its kind, S is updated field by field, so
// remembering costs what changed. A node that grows past its slots gets new ones at the end;
// S is then no longer in pre-order (`shadowPristine`), which only copySubtree relies on.

/** Whether S is laid out as recordShadowed builds it. */
let shadowPristine = true;
/** Slots of S when it was last built: past a multiple of it, S is rebuilt (abandoned slots). */
let builtSlots = 0;
let scratchVal: unknown[] = [];
let scratchElemA = new Int32Array(64);
let scratchElemB = new Int32Array(64);
let scratchPairA = new Int32Array(64);
let scratchPairB = new Int32Array(64);

/** Updates S in place to be the shadow of `value`, leaving outA/outB = H(value); returns
 * false, with S untouched, when `value` does not have S's layout. */
function updateShadow(value: unknown): boolean {
  const s = S;
  if (s.nodes === 0 || typeof value !== 'object' || value === null) return false;
  if (s.slots > 4 * builtSlots + 256) return false;
  const isArray = Array.isArray(value);
  if (isArray !== Array.isArray(s.obj[0])) return false;
  const start = s.start[0];
  const size = s.size[0];
  // First check that the update can be done, so that S is never left half updated.
  if (isArray) {
    const arr = value as readonly unknown[];
    if (arr.length !== size) return false;
    for (let i = 0; i < size; i++) if (!slotUpdatable(start + i, arr[i])) return false;
  } else {
    checkPlainRecord(value);
    const record = value as Record<string, unknown>;
    let j = 0;
    for (const key in record) {
      if (j >= size || s.key[start + j] !== key || !slotUpdatable(start + j, record[key])) return false;
      j++;
    }
    if (j !== size) return false;
  }
  let sa = 0;
  let sb = 0;
  let count = 0;
  if (isArray) {
    const arr = value as readonly unknown[];
    for (let i = 0; i < size; i++) {
      const f = start + i;
      const v = arr[i];
      if (s.val[f] !== v) {
        updateSlotValue(f, v);
        indexPair(i);
        s.pairA[f] = outA;
        s.pairB[f] = outB;
      }
      sa = (sa + s.pairA[f]) | 0;
      sb = (sb + s.pairB[f]) | 0;
    }
    finishArray(size, sa, sb);
  } else {
    const record = value as Record<string, unknown>;
    let f = start;
    for (const key in record) {
      const v = record[key];
      if (s.val[f] !== v) {
        updateSlotValue(f, v);
        if (v === undefined) {
          outA = outB = 0;
        } else {
          pair(s.keyA[f], s.keyB[f]);
        }
        s.pairA[f] = outA;
        s.pairB[f] = outB;
      }
      if (v !== undefined) count++;
      sa = (sa + s.pairA[f]) | 0;
      sb = (sb + s.pairB[f]) | 0;
      f++;
    }
    finishRecord(count, sa, sb);
  }
  s.obj[0] = value;
  s.nodeA[0] = outA;
  s.nodeB[0] = outB;
  return true;
}

/** Whether top-level slot f of S can take `v` in place: the same value, a primitive where
 * there was no node, an array where there was an array node, or a record with the same keys
 * in the same order where there was a record node. */
function slotUpdatable(f: number, v: unknown): boolean {
  const s = S;
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

/** Top-level slot f of S takes `v` (checked by slotUpdatable); its node, if any, is updated.
 * Leaves outA/outB = H(v), and sets the slot's value and element hash (not its pair hash). */
function updateSlotValue(f: number, v: unknown): void {
  const s = S;
  const c = s.child[f];
  if (c < 0) {
    hashPrimitive(v);
  } else if (Array.isArray(v)) {
    updateArrayNode(c, v);
  } else {
    updateRecordNode(c, v as Record<string, unknown>);
  }
  s.val[f] = v;
  s.elemA[f] = outA;
  s.elemB[f] = outB;
}

/** Array node c of S becomes `arr`; outA/outB := H(arr). Elements have no nodes (they are
 * below SHADOW_DEPTH): an element seen at the same index, or one off (a sorted set that
 * gained or lost a member), keeps its hash. */
function updateArrayNode(c: number, arr: readonly unknown[]): void {
  const s = S;
  const len = arr.length;
  const oldStart = s.start[c];
  const oldSize = s.size[c];
  if (oldSize > scratchElemA.length) {
    scratchElemA = grow(scratchElemA, oldSize);
    scratchElemB = grow(scratchElemB, oldSize);
    scratchPairA = grow(scratchPairA, oldSize);
    scratchPairB = grow(scratchPairB, oldSize);
  }
  const sv = scratchVal;
  for (let i = 0; i < oldSize; i++) {
    const g = oldStart + i;
    sv[i] = s.val[g];
    scratchElemA[i] = s.elemA[g];
    scratchElemB[i] = s.elemB[g];
    scratchPairA[i] = s.pairA[g];
    scratchPairB[i] = s.pairB[g];
  }
  let start = oldStart;
  if (len > s.cap[c]) {
    start = s.slots;
    reserveSlots(s, start + len);
    s.slots = start + len;
    s.start[c] = start;
    s.cap[c] = len;
    shadowPristine = false;
    for (let i = 0; i < oldSize; i++) s.val[oldStart + i] = undefined;
  }
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < len; i++) {
    const e = arr[i];
    const f = start + i;
    if (i < oldSize && sv[i] === e) {
      s.elemA[f] = scratchElemA[i];
      s.elemB[f] = scratchElemB[i];
      outA = scratchPairA[i];
      outB = scratchPairB[i];
    } else {
      if (i > 0 && i <= oldSize && sv[i - 1] === e) {
        outA = scratchElemA[i - 1];
        outB = scratchElemB[i - 1];
      } else if (i + 1 < oldSize && sv[i + 1] === e) {
        outA = scratchElemA[i + 1];
        outB = scratchElemB[i + 1];
      } else {
        hashShadowed(e, -1);
      }
      s.elemA[f] = outA;
      s.elemB[f] = outB;
      indexPair(i);
    }
    s.val[f] = e;
    s.key[f] = undefined;
    s.child[f] = -1;
    s.pairA[f] = outA;
    s.pairB[f] = outB;
    sa = (sa + outA) | 0;
    sb = (sb + outB) | 0;
  }
  for (let i = len; i < oldSize && start === oldStart; i++) s.val[start + i] = undefined;
  for (let i = 0; i < oldSize; i++) sv[i] = undefined;
  s.size[c] = len;
  s.obj[c] = arr;
  finishArray(len, sa, sb);
  s.nodeA[c] = outA;
  s.nodeB[c] = outB;
}

/** Record node c of S becomes `record`, which has its keys in the same order (checked by
 * slotUpdatable); outA/outB := H(record). */
function updateRecordNode(c: number, record: Record<string, unknown>): void {
  const s = S;
  let f = s.start[c];
  let sa = 0;
  let sb = 0;
  let count = 0;
  for (const key in record) {
    const v = record[key];
    if (s.val[f] !== v) {
      if (v === undefined) {
        outA = outB = 0;
      } else {
        hashShadowed(v, -1);
      }
      s.val[f] = v;
      s.elemA[f] = outA;
      s.elemB[f] = outB;
      if (v !== undefined) pair(s.keyA[f], s.keyB[f]);
      s.pairA[f] = outA;
      s.pairB[f] = outB;
    }
    if (v !== undefined) count++;
    sa = (sa + s.pairA[f]) | 0;
    sb = (sb + s.pairB[f]) | 0;
    f++;
  }
  s.obj[c] = record;
  finishRecord(count, sa, sb);
  s.nodeA[c] = outA;
  s.nodeB[c] = outB;
}

/** Forgets the remembered shadows (so the objects they hold can be collected). */
export function forgetSubtrees(): void {
  S = newShadow();
  W = newShadow();
  shadowActive = false;
  shadowPristine = true;
  builtSlots = 0;
}

const scratch = new Uint32Array(2);

/** The fingerprint as a 16-digit hex string (for display and tests). */
export function fingerprintHex(value: unknown): string {
  fingerprintInto(value, scratch);
  return scratch[0].toString(16).padStart(8, '0') + scratch[1].toString(16).padStart(8, '0');
}
