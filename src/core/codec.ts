// The packed codec derived from a state schema (core/schema.ts). Every schema node has a fixed
// width in bits and a fixed offset in the state's words, so:
// - a state is `words` 32-bit words (Int32Array), and two states are equal exactly when their
//   words are (the encoding is canonical: unused bits are always zero);
// - a successor is encoded against its parent: the parent's words are copied and only the
//   sub-values that are not `===` to the parent's are written again (a step shares what it
//   does not change);
// - a state of at most 62 bits is its own visited-set key (exact: no collision is possible);
//   a longer one is keyed by a 64-bit hash of its words.
// Decoding builds plain records in schema order; set and multiset elements are shared,
// immutable values of their finite domains, in compareValues order.

import { compareValues } from './data.ts';
import type { Primitive, Schema } from './schema.ts';

/** A value outside its schema, or a schema the codec cannot pack. The message names the field
 * and the value. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
}

/** Enums of at most this many values find a value's code by comparing in turn. */
const ENUM_SCAN_MAX = 8;

/** Thrown by the fast encoders; the codec turns it into a SchemaError with the field's path. */
const OUT_OF_SCHEMA = { outOfSchema: true };

/** Largest finite domain a set or multiset may range over (one bit or count per element). */
const DOMAIN_MAX = 1 << 12;

function bitsFor(count: number): number {
  let b = 0;
  while (1 << b < count) b++;
  return b;
}

/** Writes the low `width` (<= 31) bits of `value` at bit `off`. */
function put(w: Int32Array, off: number, width: number, value: number): void {
  if (width === 0) return;
  const i = off >>> 5;
  const b = off & 31;
  const room = 32 - b;
  if (width <= room) {
    const m = ((1 << width) - 1) << b;
    w[i] = (w[i] & ~m) | ((value << b) & m);
  } else {
    const m0 = -1 << b;
    w[i] = (w[i] & ~m0) | (value << b);
    const m1 = (1 << (width - room)) - 1;
    w[i + 1] = (w[i + 1] & ~m1) | ((value >>> room) & m1);
  }
}

function get(w: Int32Array, off: number, width: number): number {
  if (width === 0) return 0;
  const i = off >>> 5;
  const b = off & 31;
  const room = 32 - b;
  const m = (1 << width) - 1;
  if (width <= room) return (w[i] >>> b) & m;
  return ((w[i] >>> b) | (w[i + 1] << room)) & m;
}

/** Zeroes `width` bits (any number) from `off`. */
function clear(w: Int32Array, off: number, width: number): void {
  while (width > 0) {
    const n = Math.min(31, width);
    put(w, off, n, 0);
    off += n;
    width -= n;
  }
}

/** Whether bits [off, off + width) of `a` and `b` are equal. */
function rangeEqual(a: Int32Array, b: Int32Array, off: number, width: number): boolean {
  while (width > 0) {
    const n = Math.min(31, width);
    if (get(a, off, n) !== get(b, off, n)) return false;
    off += n;
    width -= n;
  }
  return true;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  try {
    const text = JSON.stringify(v);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(v);
  }
}

abstract class Node {
  constructor(readonly width: number) {}
  /** Writes `v` at `off`; throws OUT_OF_SCHEMA when it is not a value of the schema. */
  abstract write(v: unknown, w: Int32Array, off: number): void;
  abstract read(w: Int32Array, off: number): unknown;
  /** Decodes at `off`, reusing `pv`, the value decoded from `pw`, where the bits are the same:
   * consecutive BFS states are mostly siblings, so most of a state is decoded already. */
  readAgainst(w: Int32Array, pw: Int32Array, pv: unknown, off: number): unknown {
    return rangeEqual(w, pw, off, this.width) ? pv : this.read(w, off);
  }
  /** Why `v` is not a value of the schema (at `path`), or undefined. */
  abstract explain(v: unknown, path: string): string | undefined;
  /** Every value, for the domains of sets and multisets. */
  abstract enumerate(): unknown[];
  /** Whether `v` is a value of the schema (unions pick their variant with it); fast. */
  abstract accepts(v: unknown): boolean;
  /** Writes `v` where it differs from `pv`, whose encoding is already at `off`. */
  diff(v: unknown, pv: unknown, w: Int32Array, off: number): void {
    if (v !== pv) this.write(v, w, off);
  }
}

class EnumNode extends Node {
  private readonly index: Map<Primitive, number>;
  constructor(readonly values: readonly Primitive[]) {
    super(bitsFor(values.length));
    if (values.length === 0) throw new SchemaError('an enum needs at least one value');
    this.index = new Map(values.map((v, i) => [v, i]));
  }
  write(v: unknown, w: Int32Array, off: number): void {
    put(w, off, this.width, this.code(v));
  }
  /** The value's bits (throws OUT_OF_SCHEMA outside the enum). A few values are compared in
   * turn (strings from the model's code and from decoding are the same interned strings: a
   * pointer compare), more are looked up. */
  code(v: unknown): number {
    const values = this.values;
    if (values.length <= ENUM_SCAN_MAX) {
      for (let i = 0; i < values.length; i++) if (values[i] === v) return i;
      // NaN is an enum value only as itself (Map's SameValueZero).
      if (v !== v && this.index.has(v as Primitive)) return this.index.get(v as Primitive)!;
      throw OUT_OF_SCHEMA;
    }
    const i = this.index.get(v as Primitive);
    if (i === undefined) throw OUT_OF_SCHEMA;
    return i;
  }
  read(w: Int32Array, off: number): unknown {
    return this.values[get(w, off, this.width)];
  }
  accepts(v: unknown): boolean {
    return this.index.has(v as Primitive);
  }
  explain(v: unknown, path: string): string | undefined {
    return this.index.has(v as Primitive) ? undefined : `${path} = ${show(v)} is not one of ${this.values.map(show).join(', ')}`;
  }
  enumerate(): unknown[] {
    return [...this.values];
  }
}

class IntNode extends Node {
  constructor(readonly min: number, readonly max: number) {
    super(bitsFor(max - min + 1));
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min || this.width > 31) {
      throw new SchemaError(`an int schema needs min <= max within 2^31 values, got ${min}..${max}`);
    }
  }
  write(v: unknown, w: Int32Array, off: number): void {
    put(w, off, this.width, this.code(v));
  }
  code(v: unknown): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < this.min || v > this.max) throw OUT_OF_SCHEMA;
    return v - this.min;
  }
  read(w: Int32Array, off: number): unknown {
    return get(w, off, this.width) + this.min;
  }
  accepts(v: unknown): boolean {
    return typeof v === 'number' && Number.isInteger(v) && v >= this.min && v <= this.max;
  }
  explain(v: unknown, path: string): string | undefined {
    if (typeof v === 'number' && Number.isInteger(v) && v >= this.min && v <= this.max) return undefined;
    return `${path} = ${show(v)} is not an integer in ${this.min}..${this.max}`;
  }
  enumerate(): unknown[] {
    return Array.from({ length: this.max - this.min + 1 }, (_, i) => this.min + i);
  }
}

class RecordNode extends Node {
  private readonly keys: readonly string[];
  private readonly nodes: readonly Node[];
  private readonly offsets: readonly number[];
  // Generated once per record schema, with the field names as constants: a loop over the keys
  // would read every field by a computed name, and build decoded records key by key.
  private readonly writeFields: (v: Record<string, unknown>, w: Int32Array, off: number) => void;
  private readonly diffFields: (v: Record<string, unknown>, pv: Record<string, unknown>, w: Int32Array, off: number) => void;
  private readonly readFields: (w: Int32Array, off: number) => Record<string, unknown>;
  private readonly readFieldsAgainst: (w: Int32Array, pw: Int32Array, pv: Record<string, unknown>, off: number) => Record<string, unknown>;
  constructor(fields: Readonly<Record<string, Schema>>) {
    const keys = Object.keys(fields);
    const nodes = keys.map((k) => compile(fields[k]));
    const offsets: number[] = [];
    let width = 0;
    for (const n of nodes) {
      offsets.push(width);
      width += n.width;
    }
    super(width);
    this.keys = keys;
    this.nodes = nodes;
    this.offsets = offsets;
    const field = (i: number, of = 'v') => `${of}[${JSON.stringify(keys[i])}]`;
    const each = (f: (i: number) => string, sep: string) => keys.map((_, i) => f(i)).join(sep);
    const make = <T>(params: string, body: string): T => new Function('n', params, body)(nodes) as T;
    this.writeFields = make('v, w, off', `return function writeFields(v, w, off) { ${each((i) => `n[${i}].write(${field(i)}, w, off + ${offsets[i]});`, ' ')} };`);
    // A step changes a field or two: the others are skipped by one compare, without a call.
    this.diffFields = make('v, pv, w, off', `return function diffFields(v, pv, w, off) { let a, b; ${each((i) => `a = ${field(i)}; b = ${field(i, 'pv')}; if (a !== b) n[${i}].diff(a, b, w, off + ${offsets[i]});`, ' ')} };`);
    this.readFields = make('w, off', `return function readFields(w, off) { return { ${each((i) => `${JSON.stringify(keys[i])}: n[${i}].read(w, off + ${offsets[i]})`, ', ')} }; };`);
    this.readFieldsAgainst = make('w, pw, pv, off', `return function readFieldsAgainst(w, pw, pv, off) { return { ${each((i) => `${JSON.stringify(keys[i])}: n[${i}].readAgainst(w, pw, ${field(i, 'pv')}, off + ${offsets[i]})`, ', ')} }; };`);
  }
  get fieldNames(): readonly string[] {
    return this.keys;
  }
  fieldNode(key: string): Node | undefined {
    const i = this.keys.indexOf(key);
    return i < 0 ? undefined : this.nodes[i];
  }
  write(v: unknown, w: Int32Array, off: number): void {
    if (!isRecord(v)) throw OUT_OF_SCHEMA;
    this.writeFields(v, w, off);
  }
  override diff(v: unknown, pv: unknown, w: Int32Array, off: number): void {
    if (v === pv) return;
    if (!isRecord(v) || !isRecord(pv)) return this.write(v, w, off);
    this.diffFields(v, pv, w, off);
  }
  accepts(v: unknown): boolean {
    if (!isRecord(v)) return false;
    for (let i = 0; i < this.keys.length; i++) if (!this.nodes[i].accepts(v[this.keys[i]])) return false;
    return true;
  }
  read(w: Int32Array, off: number): unknown {
    return this.readFields(w, off);
  }
  override readAgainst(w: Int32Array, pw: Int32Array, pv: unknown, off: number): unknown {
    if (rangeEqual(w, pw, off, this.width)) return pv;
    return this.readFieldsAgainst(w, pw, pv as Record<string, unknown>, off);
  }
  explain(v: unknown, path: string): string | undefined {
    if (!isRecord(v)) return `${path || 'the state'} = ${show(v)} is not a record`;
    for (const k of Object.keys(v)) {
      if (v[k] !== undefined && !this.keys.includes(k)) return `${join(path, k)} is not in the schema (value ${show(v[k])})`;
    }
    for (let i = 0; i < this.keys.length; i++) {
      const why = this.nodes[i].explain(v[this.keys[i]], join(path, this.keys[i]));
      if (why !== undefined) return why;
    }
    return undefined;
  }
  enumerate(): unknown[] {
    let out: Record<string, unknown>[] = [{}];
    for (let i = 0; i < this.keys.length; i++) {
      const values = this.nodes[i].enumerate();
      out = out.flatMap((r) => values.map((x) => ({ ...r, [this.keys[i]]: x })));
      if (out.length > DOMAIN_MAX) throw new SchemaError(`a record domain is larger than ${DOMAIN_MAX} values`);
    }
    return out;
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Fixed-length arrays, with one schema per index (tuple) or the same for all. */
class ArrayNode extends Node {
  constructor(private readonly nodes: readonly Node[]) {
    super(nodes.reduce((s, n) => s + n.width, 0));
    this.offsets = [];
    let o = 0;
    for (const n of nodes) {
      this.offsets.push(o);
      o += n.width;
    }
  }
  private readonly offsets: number[];
  write(v: unknown, w: Int32Array, off: number): void {
    if (!Array.isArray(v) || v.length !== this.nodes.length) throw OUT_OF_SCHEMA;
    for (let i = 0; i < v.length; i++) this.nodes[i].write(v[i], w, off + this.offsets[i]);
  }
  override diff(v: unknown, pv: unknown, w: Int32Array, off: number): void {
    if (v === pv) return;
    if (!Array.isArray(v) || !Array.isArray(pv) || v.length !== this.nodes.length || pv.length !== v.length) return this.write(v, w, off);
    for (let i = 0; i < v.length; i++) this.nodes[i].diff(v[i], pv[i], w, off + this.offsets[i]);
  }
  accepts(v: unknown): boolean {
    return Array.isArray(v) && v.length === this.nodes.length && v.every((x, i) => this.nodes[i].accepts(x));
  }
  read(w: Int32Array, off: number): unknown {
    const n = this.nodes.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.nodes[i].read(w, off + this.offsets[i]);
    return out;
  }
  override readAgainst(w: Int32Array, pw: Int32Array, pv: unknown, off: number): unknown {
    if (rangeEqual(w, pw, off, this.width)) return pv;
    const prev = pv as readonly unknown[];
    const n = this.nodes.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.nodes[i].readAgainst(w, pw, prev[i], off + this.offsets[i]);
    return out;
  }
  explain(v: unknown, path: string): string | undefined {
    if (!Array.isArray(v)) return `${path} = ${show(v)} is not an array`;
    if (v.length !== this.nodes.length) return `${path} has ${v.length} elements, the schema ${this.nodes.length}`;
    for (let i = 0; i < v.length; i++) {
      const why = this.nodes[i].explain(v[i], `${path}[${i}]`);
      if (why !== undefined) return why;
    }
    return undefined;
  }
  enumerate(): unknown[] {
    let out: unknown[][] = [[]];
    for (const n of this.nodes) {
      const values = n.enumerate();
      out = out.flatMap((a) => values.map((x) => [...a, x]));
      if (out.length > DOMAIN_MAX) throw new SchemaError(`an array domain is larger than ${DOMAIN_MAX} values`);
    }
    return out;
  }
}

/** A fixed-length array of enums or integers: the innermost loop of most states (rmState,
 * votes, acks), written without a call per element. */
class LeafArrayNode extends Node {
  constructor(private readonly length: number, private readonly of: EnumNode | IntNode) {
    super(length * of.width);
  }
  write(v: unknown, w: Int32Array, off: number): void {
    if (!Array.isArray(v) || v.length !== this.length) throw OUT_OF_SCHEMA;
    const ew = this.of.width;
    for (let i = 0; i < v.length; i++) put(w, off + i * ew, ew, this.of.code(v[i]));
  }
  override diff(v: unknown, pv: unknown, w: Int32Array, off: number): void {
    if (v === pv) return;
    if (!Array.isArray(v) || !Array.isArray(pv) || v.length !== this.length || pv.length !== v.length) return this.write(v, w, off);
    const ew = this.of.width;
    for (let i = 0; i < v.length; i++) if (v[i] !== pv[i]) put(w, off + i * ew, ew, this.of.code(v[i]));
  }
  read(w: Int32Array, off: number): unknown {
    const out = new Array<unknown>(this.length);
    const ew = this.of.width;
    for (let i = 0; i < this.length; i++) out[i] = this.of.read(w, off + i * ew);
    return out;
  }
  accepts(v: unknown): boolean {
    return Array.isArray(v) && v.length === this.length && v.every((x) => this.of.accepts(x));
  }
  explain(v: unknown, path: string): string | undefined {
    if (!Array.isArray(v)) return `${path} = ${show(v)} is not an array`;
    if (v.length !== this.length) return `${path} has ${v.length} elements, the schema ${this.length}`;
    for (let i = 0; i < v.length; i++) {
      const why = this.of.explain(v[i], `${path}[${i}]`);
      if (why !== undefined) return why;
    }
    return undefined;
  }
  enumerate(): unknown[] {
    return new ArrayNode(Array.from({ length: this.length }, () => this.of)).enumerate();
  }
}

class ListNode extends Node {
  private readonly lengthBits: number;
  constructor(private readonly lengthMax: number, private readonly of: Node) {
    const lengthBits = bitsFor(lengthMax + 1);
    super(lengthBits + lengthMax * of.width);
    this.lengthBits = lengthBits;
  }
  write(v: unknown, w: Int32Array, off: number): void {
    if (!Array.isArray(v) || v.length > this.lengthMax) throw OUT_OF_SCHEMA;
    put(w, off, this.lengthBits, v.length);
    const ew = this.of.width;
    let o = off + this.lengthBits;
    for (let i = 0; i < v.length; i++, o += ew) this.of.write(v[i], w, o);
    clear(w, o, (this.lengthMax - v.length) * ew);
  }
  accepts(v: unknown): boolean {
    return Array.isArray(v) && v.length <= this.lengthMax && v.every((x) => this.of.accepts(x));
  }
  read(w: Int32Array, off: number): unknown {
    const n = get(w, off, this.lengthBits);
    const out = new Array<unknown>(n);
    const ew = this.of.width;
    let o = off + this.lengthBits;
    for (let i = 0; i < n; i++, o += ew) out[i] = this.of.read(w, o);
    return out;
  }
  explain(v: unknown, path: string): string | undefined {
    if (!Array.isArray(v)) return `${path} = ${show(v)} is not an array`;
    if (v.length > this.lengthMax) return `${path} has ${v.length} elements, more than the schema's ${this.lengthMax}`;
    for (let i = 0; i < v.length; i++) {
      const why = this.of.explain(v[i], `${path}[${i}]`);
      if (why !== undefined) return why;
    }
    return undefined;
  }
  enumerate(): unknown[] {
    const values = this.of.enumerate();
    let level: unknown[][] = [[]];
    const out: unknown[][] = [[]];
    for (let len = 1; len <= this.lengthMax; len++) {
      level = level.flatMap((a) => values.map((x) => [...a, x]));
      out.push(...level);
      if (out.length > DOMAIN_MAX) throw new SchemaError(`a list domain is larger than ${DOMAIN_MAX} values`);
    }
    return out;
  }
}

/** Sorted sets (countMax 1) and multisets over a finite domain: per element of the domain, in
 * compareValues order, its count. */
class BagNode extends Node {
  /** The domain in compareValues order; decoding shares these values. */
  private readonly domain: readonly unknown[];
  /** Rank in `domain` of each element code (the element's own packed bits), or -1. */
  private readonly rankOfCode: Int32Array;
  private readonly countBits: number;
  private readonly scratch = new Int32Array(1);
  constructor(private readonly of: Node, private readonly countMax: number, private readonly isSet: boolean) {
    const domain = of.enumerate().sort(compareValues);
    if (domain.length > DOMAIN_MAX) throw new SchemaError(`a set's domain has ${domain.length} values, more than ${DOMAIN_MAX}`);
    if (of.width > 24) throw new SchemaError(`a set's elements take ${of.width} bits, more than 24`);
    const countBits = bitsFor(countMax + 1);
    super(domain.length * countBits);
    this.countBits = countBits;
    this.domain = domain.map(deepFreeze);
    this.rankOfCode = new Int32Array(1 << of.width).fill(-1);
    domain.forEach((x, rank) => {
      this.rankOfCode[this.codeOf(x)] = rank;
    });
    this.domain.forEach((x, rank) => {
      if (typeof x === 'object' && x !== null) this.domainRank.set(x, rank);
    });
  }
  /** The rank in the domain of element `x` (throws OUT_OF_SCHEMA outside it). Most elements
   * are decoded domain values (a successor shares its parent's): their ranks are found by
   * identity; any other value (a message just sent) by its code. Only the domain is kept:
   * remembering fresh values would keep garbage alive and cost more than it saves. */
  private rankOf(x: unknown): number {
    if (typeof x === 'object' && x !== null) {
      const r = this.domainRank.get(x);
      if (r !== undefined) return r;
    }
    return this.rankOfCode[this.codeOf(x)];
  }
  private readonly domainRank = new Map<unknown, number>();
  accepts(v: unknown): boolean {
    return this.explain(v, '') === undefined;
  }
  private codeOf(x: unknown): number {
    this.scratch[0] = 0;
    this.of.write(x, this.scratch, 0);
    return this.scratch[0];
  }
  write(v: unknown, w: Int32Array, off: number): void {
    if (!Array.isArray(v)) throw OUT_OF_SCHEMA;
    const cb = this.countBits;
    clear(w, off, this.width);
    let prev = -1;
    let count = 0;
    for (let i = 0; i < v.length; i++) {
      const rank = this.rankOf(v[i]);
      if (rank < 0 || rank < prev) throw OUT_OF_SCHEMA; // outside the domain, or not sorted
      if (rank === prev) {
        if (++count > this.countMax) throw OUT_OF_SCHEMA;
      } else {
        count = 1;
        prev = rank;
      }
      put(w, off + rank * cb, cb, count);
    }
  }
  /** `pv` is encoded at `off` already (sorted, in the domain): only the elements between the
   * longest common prefix and suffix (by identity) change counts, and v is checked to be
   * sorted where it differs. A step adds or removes a message or two and shares the rest. */
  override diff(v: unknown, pv: unknown, w: Int32Array, off: number): void {
    if (v === pv) return;
    if (!Array.isArray(v) || !Array.isArray(pv)) return this.write(v, w, off);
    const n = v.length;
    const pn = pv.length;
    const common = Math.min(n, pn);
    let p = 0;
    while (p < common && v[p] === pv[p]) p++;
    let s = 0;
    while (s < common - p && v[n - 1 - s] === pv[pn - 1 - s]) s++;
    const cb = this.countBits;
    for (let j = p; j < pn - s; j++) {
      const at = off + this.rankOf(pv[j]) * cb;
      put(w, at, cb, get(w, at, cb) - 1);
    }
    // v[p - 1] and v[n - s] are the parent's, in order; what lies between must fit between them.
    let prev = p > 0 ? this.rankOf(v[p - 1]) : -1;
    for (let i = p; i < n - s; i++) {
      const rank = this.rankOf(v[i]);
      if (rank < 0 || rank < prev) throw OUT_OF_SCHEMA; // outside the domain, or not sorted
      const at = off + rank * cb;
      const count = get(w, at, cb) + 1;
      if (count > this.countMax) throw OUT_OF_SCHEMA;
      put(w, at, cb, count);
      prev = rank;
    }
    if (s > 0 && n - s > p && this.rankOf(v[n - s]) < prev) throw OUT_OF_SCHEMA;
  }
  read(w: Int32Array, off: number): unknown {
    const out: unknown[] = [];
    const cb = this.countBits;
    const n = this.domain.length;
    if (cb === 1) {
      // Sets: skip empty 31-bit chunks.
      for (let r = 0; r < n; r += 31) {
        const k = Math.min(31, n - r);
        let chunk = get(w, off + r, k);
        while (chunk !== 0) {
          const bit = 31 - Math.clz32(chunk & -chunk);
          out.push(this.domain[r + bit]);
          chunk &= chunk - 1;
        }
      }
      return out;
    }
    for (let r = 0; r < n; r++) {
      for (let c = get(w, off + r * cb, cb); c > 0; c--) out.push(this.domain[r]);
    }
    return out;
  }
  explain(v: unknown, path: string): string | undefined {
    if (!Array.isArray(v)) return `${path} = ${show(v)} is not an array`;
    for (let i = 0; i < v.length; i++) {
      const why = this.of.explain(v[i], `${path}[${i}]`);
      if (why !== undefined) return why;
      if (i > 0) {
        const c = compareValues(v[i - 1], v[i]);
        if (c > 0) return `${path} is not sorted at [${i}] (${show(v[i])})`;
        if (c === 0 && this.isSet) return `${path}[${i}] = ${show(v[i])} is a duplicate in a set`;
      }
    }
    const counts = new Map<number, number>();
    for (const x of v) {
      const rank = this.rankOfCode[this.codeOf(x)];
      counts.set(rank, (counts.get(rank) ?? 0) + 1);
      if (counts.get(rank)! > this.countMax) return `${path} holds ${counts.get(rank)} copies of ${show(x)}, more than the schema's ${this.countMax}`;
    }
    return undefined;
  }
  enumerate(): unknown[] {
    throw new SchemaError('sets of sets are not supported');
  }
}

class UnionNode extends Node {
  private readonly tagBits: number;
  /** When every variant is a record with the same constant field (a `type` or `kind` tag) and
   * the constants differ, that field alone tells which variant can accept a value. */
  private readonly tagField: string | undefined;
  private readonly variantOfTag: Map<Primitive, number> | undefined;
  constructor(private readonly variants: readonly Node[]) {
    const tagBits = bitsFor(variants.length);
    super(tagBits + Math.max(0, ...variants.map((x) => x.width)));
    this.tagBits = tagBits;
    if (variants.length === 0) throw new SchemaError('a union needs at least one variant');
    const tag = taggedBy(variants);
    this.tagField = tag?.field;
    this.variantOfTag = tag?.variantOf;
  }
  private variantOf(v: unknown): number {
    const i = this.candidate(v);
    if (i >= 0) return this.variants[i].accepts(v) ? i : -1;
    if (i === -1) return -1;
    for (let j = 0; j < this.variants.length; j++) if (this.variants[j].accepts(v)) return j;
    return -1;
  }
  /** The one variant that may accept `v` by its tag (-1: none may), or -2 without a tag. */
  private candidate(v: unknown): number {
    if (this.tagField === undefined) return -2;
    if (!isRecord(v)) return -1;
    return this.variantOfTag!.get(v[this.tagField] as Primitive) ?? -1;
  }
  write(v: unknown, w: Int32Array, off: number): void {
    // With a tag, the variant's own write checks the value (and throws outside it).
    const c = this.candidate(v);
    const i = c === -2 ? this.variantOf(v) : c;
    if (i < 0) throw OUT_OF_SCHEMA;
    put(w, off, this.tagBits, i);
    const node = this.variants[i];
    node.write(v, w, off + this.tagBits);
    clear(w, off + this.tagBits + node.width, this.width - this.tagBits - node.width);
  }
  read(w: Int32Array, off: number): unknown {
    return this.variants[get(w, off, this.tagBits)].read(w, off + this.tagBits);
  }
  override readAgainst(w: Int32Array, pw: Int32Array, pv: unknown, off: number): unknown {
    const tag = get(w, off, this.tagBits);
    if (tag !== get(pw, off, this.tagBits)) return this.variants[tag].read(w, off + this.tagBits);
    return this.variants[tag].readAgainst(w, pw, pv, off + this.tagBits);
  }
  accepts(v: unknown): boolean {
    return this.variantOf(v) >= 0;
  }
  explain(v: unknown, path: string): string | undefined {
    if (this.variantOf(v) >= 0) return undefined;
    const whys = this.variants.map((x) => x.explain(v, path));
    return `${path} = ${show(v)} matches no variant of its union (${whys.join('; ')})`;
  }
  enumerate(): unknown[] {
    return this.variants.flatMap((x) => x.enumerate());
  }
}

/** The field that tells a union's record variants apart, if there is one: present in every
 * variant as a one-value enum, with a different value in each. */
function taggedBy(variants: readonly Node[]): { field: string; variantOf: Map<Primitive, number> } | undefined {
  if (!variants.every((x) => x instanceof RecordNode)) return undefined;
  const records = variants as readonly RecordNode[];
  for (const field of records[0].fieldNames) {
    const variantOf = new Map<Primitive, number>();
    for (let i = 0; i < records.length; i++) {
      const node = records[i].fieldNode(field);
      if (!(node instanceof EnumNode) || node.values.length !== 1 || variantOf.has(node.values[0])) break;
      variantOf.set(node.values[0], i);
    }
    if (variantOf.size === records.length) return { field, variantOf };
  }
  return undefined;
}

class OptionalNode extends Node {
  constructor(private readonly of: Node) {
    super(1 + of.width);
  }
  write(v: unknown, w: Int32Array, off: number): void {
    if (v === undefined) {
      clear(w, off, this.width);
      return;
    }
    put(w, off, 1, 1);
    this.of.write(v, w, off + 1);
  }
  override diff(v: unknown, pv: unknown, w: Int32Array, off: number): void {
    if (v === pv) return;
    if (v === undefined || pv === undefined) return this.write(v, w, off);
    this.of.diff(v, pv, w, off + 1);
  }
  read(w: Int32Array, off: number): unknown {
    return get(w, off, 1) === 0 ? undefined : this.of.read(w, off + 1);
  }
  override readAgainst(w: Int32Array, pw: Int32Array, pv: unknown, off: number): unknown {
    if (get(w, off, 1) === 0) return undefined;
    if (pv === undefined) return this.of.read(w, off + 1);
    return this.of.readAgainst(w, pw, pv, off + 1);
  }
  accepts(v: unknown): boolean {
    return v === undefined || this.of.accepts(v);
  }
  explain(v: unknown, path: string): string | undefined {
    return v === undefined ? undefined : this.of.explain(v, path);
  }
  enumerate(): unknown[] {
    return [undefined, ...this.of.enumerate()];
  }
}

function compile(s: Schema): Node {
  switch (s.kind) {
    case 'enum':
      return new EnumNode(s.values);
    case 'int':
      return new IntNode(s.min, s.max);
    case 'record':
      return new RecordNode(s.fields);
    case 'array':
      if (!Number.isSafeInteger(s.length) || s.length < 0) throw new SchemaError(`an array schema needs a length, got ${s.length}`);
      if (s.of.kind === 'enum' || s.of.kind === 'int') return new LeafArrayNode(s.length, compile(s.of) as EnumNode | IntNode);
      return new ArrayNode(Array.from({ length: s.length }, () => compile(s.of)));
    case 'tuple':
      return new ArrayNode(s.of.map(compile));
    case 'list':
      return new ListNode(s.lengthMax, compile(s.of));
    case 'set':
      return new BagNode(compile(s.of), 1, true);
    case 'multiset':
      if (!Number.isSafeInteger(s.countMax) || s.countMax < 1) throw new SchemaError(`a multiset needs countMax >= 1, got ${s.countMax}`);
      return new BagNode(compile(s.of), s.countMax, false);
    case 'union':
      return new UnionNode(s.variants.map(compile));
    case 'optional':
      return new OptionalNode(compile(s.of));
    default: {
      const never: never = s;
      throw new SchemaError(`unknown schema ${JSON.stringify(never)}`);
    }
  }
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The first place where `decoded` differs from `original` (undefined-valued keys count as
 * absent), as "path: the state has X, decoding gives Y", or undefined when they are equal. */
export function firstDifference(original: unknown, decoded: unknown, path = ''): string | undefined {
  if (original === decoded || (Number.isNaN(original) && Number.isNaN(decoded))) return undefined;
  const here = path === '' ? 'the state' : path;
  if (Array.isArray(original) && Array.isArray(decoded)) {
    if (original.length !== decoded.length) return `${here}: the state has ${original.length} elements, decoding gives ${decoded.length}`;
    for (let i = 0; i < original.length; i++) {
      const d = firstDifference(original[i], decoded[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (isRecord(original) && isRecord(decoded) && isPlain(original)) {
    const keys = new Set([...Object.keys(original), ...Object.keys(decoded)]);
    for (const k of keys) {
      const d = firstDifference(original[k], decoded[k], join(path, k));
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (Object.is(original, -0) && decoded === 0) return undefined;
  return `${here}: the state has ${show(original)}, decoding gives ${show(decoded)}`;
}

/** A packed codec for the states of one schema. Owns scratch space: one per search. */
export class Codec {
  readonly bits: number;
  /** 32-bit words per state. */
  readonly words: number;
  /** Whether a state's words are its exact key (at most 62 bits). */
  readonly exact: boolean;
  private readonly root: Node;
  private readonly previousWords: Int32Array;
  private previous: unknown = undefined;

  constructor(readonly schema: Schema) {
    this.root = compile(schema);
    this.bits = this.root.width;
    this.words = Math.max(1, Math.ceil(this.bits / 32));
    this.exact = this.bits <= 62;
    this.previousWords = new Int32Array(this.words);
  }

  /** Encodes `state` into out[0..words). Throws a SchemaError naming the field and value. */
  encode(state: unknown, out: Int32Array): void {
    out.fill(0, 0, this.words);
    try {
      this.root.write(state, out, 0);
    } catch (e) {
      throw this.rethrow(e, state);
    }
  }

  /** Encodes `state` into `out`, which holds the encoding of `parent`: only the sub-values of
   * `state` that are not `===` to the parent's are written. */
  encodeAgainst(state: unknown, parent: unknown, out: Int32Array): void {
    try {
      this.root.diff(state, parent, out, 0);
    } catch (e) {
      throw this.rethrow(e, state);
    }
  }

  /** Decodes a state. */
  decode(words: Int32Array): unknown {
    return this.root.read(words, 0);
  }

  /** Decodes a state, sharing with the state this method decoded last every sub-value whose
   * bits are the same (decoded values are immutable, so sharing them is safe). */
  decodeNext(words: Int32Array): unknown {
    const value = this.previous === undefined ? this.root.read(words, 0) : this.root.readAgainst(words, this.previousWords, this.previous, 0);
    for (let i = 0; i < this.words; i++) this.previousWords[i] = words[i];
    this.previous = value;
    return value;
  }

  /** Forgets the state decodeNext decoded last. */
  forget(): void {
    this.previous = undefined;
  }

  /** Why `state` is outside the schema, or undefined. */
  explain(state: unknown): string | undefined {
    return this.root.explain(state, '');
  }

  /** The 64-bit visited-set key of encoded words, as (high, low) into out[0], out[1]; never
   * (0, 0). Exact (the words themselves) for states of at most 62 bits. */
  key(words: Int32Array, out: Int32Array): void {
    if (this.exact) {
      out[0] = (this.words > 1 ? words[1] : 0) | 0x40000000;
      out[1] = words[0];
      return;
    }
    let a = 0x9747b28c ^ this.words;
    let b = 0x5bd1e995;
    for (let i = 0; i < this.words; i++) {
      let k = Math.imul(words[i], 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      a ^= k;
      a = (a << 13) | (a >>> 19);
      a = (Math.imul(a, 5) + 0xe6546b64) | 0;
      let j = Math.imul(words[i], 0x85ebca6b);
      j = (j << 13) | (j >>> 19);
      j = Math.imul(j, 0xc2b2ae35);
      b ^= j;
      b = (b << 17) | (b >>> 15);
      b = (Math.imul(b, 9) + 0x38495ab5) | 0;
    }
    a = fmix(a ^ b);
    b = fmix(b + a);
    out[0] = a;
    out[1] = a === 0 && b === 0 ? 1 : b;
  }

  private rethrow(e: unknown, state: unknown): unknown {
    if (e !== OUT_OF_SCHEMA) return e;
    const why = this.explain(state) ?? 'a value is outside the schema';
    return new SchemaError(`the state is outside its schema: ${why}`);
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
