// 64-bit structural fingerprints of plain data, computed without building a string.
//
// Two 32-bit lanes are mixed in parallel with different constants (murmur3's body for the
// first, a variant for the second) and cross-finalised, giving a 64-bit fingerprint the way
// TLC fingerprints states. Semantics of equality:
// - numbers, strings, booleans, null and undefined are hashed with a type tag, so 1 != "1";
// - arrays are ordered (a set must be kept as a sorted array: see core/data.ts);
// - plain records are hashed independently of key order: each (key, value) pair is hashed
//   on its own and the pair hashes are summed, so {a,b} and {b,a} are the same state.
// Maps, Sets and class instances are rejected: state must be plain data.

const TAG_UNDEFINED = 0x01;
const TAG_NULL = 0x02;
const TAG_FALSE = 0x03;
const TAG_TRUE = 0x04;
const TAG_INT = 0x05;
const TAG_FLOAT = 0x06;
const TAG_STRING = 0x07;
const TAG_ARRAY = 0x08;
const TAG_RECORD = 0x09;

const SEED_A = 0x2f1c0e4b;
const SEED_B = 0x6a09e667;

let laneA = SEED_A;
let laneB = SEED_B;

function mix(k: number): void {
  let ka = Math.imul(k, 0xcc9e2d51);
  ka = (ka << 15) | (ka >>> 17);
  ka = Math.imul(ka, 0x1b873593);
  laneA ^= ka;
  laneA = (laneA << 13) | (laneA >>> 19);
  laneA = (Math.imul(laneA, 5) + 0xe6546b64) | 0;

  let kb = Math.imul(k ^ 0x9e3779b9, 0x85ebca6b);
  kb = (kb << 16) | (kb >>> 16);
  kb = Math.imul(kb, 0xc2b2ae35);
  laneB ^= kb;
  laneB = (laneB << 17) | (laneB >>> 15);
  laneB = (Math.imul(laneB, 9) + 0x52dce729) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

function mixString(s: string): void {
  mix(TAG_STRING);
  mix(s.length);
  for (let i = 0; i < s.length; i += 2) {
    mix(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  }
}

const floatView = new Float64Array(1);
const floatWords = new Int32Array(floatView.buffer);

function visit(value: unknown): void {
  switch (typeof value) {
    case 'number':
      if ((value | 0) === value && !Object.is(value, -0)) {
        mix(TAG_INT);
        mix(value);
      } else {
        floatView[0] = value;
        mix(TAG_FLOAT);
        mix(floatWords[0]);
        mix(floatWords[1]);
      }
      return;
    case 'string':
      mixString(value);
      return;
    case 'boolean':
      mix(value ? TAG_TRUE : TAG_FALSE);
      return;
    case 'undefined':
      mix(TAG_UNDEFINED);
      return;
    case 'object':
      if (value === null) {
        mix(TAG_NULL);
        return;
      }
      if (Array.isArray(value)) {
        mix(TAG_ARRAY);
        mix(value.length);
        for (let i = 0; i < value.length; i++) visit(value[i]);
        return;
      }
      visitRecord(value as Record<string, unknown>);
      return;
    default:
      throw new TypeError(`cannot fingerprint a ${typeof value}: state must be plain data`);
  }
}

function visitRecord(record: Record<string, unknown>): void {
  const proto = Object.getPrototypeOf(record);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(
      `cannot fingerprint a ${proto?.constructor?.name ?? 'class instance'}: state must be plain records, arrays and primitives`,
    );
  }
  // Order-independent: sum the hashes of the (key, value) pairs. Keys are distinct, so the
  // sum is over a set and loses nothing but the order.
  const savedA = laneA;
  const savedB = laneB;
  let sumA = 0;
  let sumB = 0;
  let count = 0;
  for (const key in record) {
    const v = record[key];
    if (v === undefined) continue; // {x: undefined} and {} are the same record
    laneA = SEED_A;
    laneB = SEED_B;
    mixString(key);
    visit(v);
    sumA = (sumA + fmix(laneA ^ 0x5bd1e995)) | 0;
    sumB = (sumB + fmix(laneB + laneA)) | 0;
    count++;
  }
  laneA = savedA;
  laneB = savedB;
  mix(TAG_RECORD);
  mix(count);
  mix(sumA);
  mix(sumB);
}

/** Writes the 64-bit fingerprint of `value` into out[0] (high word) and out[1] (low word). */
export function fingerprintInto(value: unknown, out: Int32Array | Uint32Array): void {
  laneA = SEED_A;
  laneB = SEED_B;
  visit(value);
  const a = fmix(laneA ^ laneB);
  const b = fmix((laneB + a) | 0);
  out[0] = a;
  out[1] = b === 0 && a === 0 ? 1 : b;
}

const scratch = new Uint32Array(2);

/** The fingerprint as a 16-digit hex string (for display and tests). */
export function fingerprintHex(value: unknown): string {
  fingerprintInto(value, scratch);
  return scratch[0].toString(16).padStart(8, '0') + scratch[1].toString(16).padStart(8, '0');
}
