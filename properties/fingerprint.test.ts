// The fingerprint is the explorer's notion of "same state": equal plain data must hash
// equally whatever the key order, and different data must (with 64-bit certainty) not.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Fingerprinter, fingerprintHex, fingerprintInto } from '../src/core/fingerprint.ts';
import { canonicalJson, compareValues, equalValues, setAdd, setHas } from '../src/core/data.ts';

/** Plain state-like data: records, arrays, ints, short strings, booleans, null. */
const plain = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -5, max: 5 }),
    fc.constantFrom('working', 'prepared', 'committed', 'aborted', '', 'a', 'phase2b'),
    fc.boolean(),
    fc.constant(null),
    fc.double({ noNaN: true, min: -2, max: 2 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('type', 'rm', 'bal', 'val', 'acc', 'ins'), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** The same data with every record's keys in reverse insertion order. */
function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).reverse()) out[k] = reverseKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** A search's own fingerprinter (never given a shadow here, so each value is hashed on its
 * own; properties/fingerprint-shadow.test.ts covers shadows). */
const fingerprinter = new Fingerprinter();
const fingerprintOf = (v: unknown): string => fingerprinter.hex(v);

describe('structural fingerprints', () => {
  it('equal data with keys in another order has the same fingerprint', () => {
    fc.assert(
      fc.property(plain, (v) => {
        expect(fingerprintOf(reverseKeys(v))).toBe(fingerprintOf(v));
      }),
      { numRuns: 500 },
    );
  });

  it('two values have the same fingerprint exactly when they are equal', () => {
    fc.assert(
      fc.property(plain, plain, (x, y) => {
        expect(fingerprintOf(x) === fingerprintOf(y)).toBe(equalValues(x, y));
      }),
      { numRuns: 2000 },
    );
  });

  it('a string or key never seen before hashes the same the first time and after', () => {
    const fresh = `never-seen-${Date.now()}-${Math.random()}`;
    const first = fingerprintOf({ [fresh]: fresh, other: [fresh] });
    expect(fingerprintOf({ [fresh]: fresh, other: [fresh] })).toBe(first);
  });

  it('distinguishes types and shapes that print alike', () => {
    const values: unknown[] = [0, '0', false, null, undefined, [], {}, [0], { 0: 0 }, [[]], [null], 'working', ['working'], { a: 1 }, { b: 1 }, { a: '1' }, 1.5, 2 ** 31, -(2 ** 31) - 1];
    const prints = values.map(fingerprintOf);
    expect(new Set(prints).size).toBe(values.length);
  });

  it('a key holding undefined is the same record as one without the key, and -0 is 0', () => {
    expect(fingerprintOf({ a: 1, b: undefined })).toBe(fingerprintOf({ a: 1 }));
    expect(equalValues({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(fingerprintOf(-0)).toBe(fingerprintOf(0));
  });

  it('the one-off functions give the fingerprints of a Fingerprinter', () => {
    fc.assert(
      fc.property(plain, (v) => {
        const out = new Uint32Array(2);
        fingerprintInto(v, out);
        const viaInto = out[0].toString(16).padStart(8, '0') + out[1].toString(16).padStart(8, '0');
        expect(viaInto).toBe(fingerprintOf(v));
        expect(fingerprintHex(v)).toBe(fingerprintOf(v));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects data that is not plain', () => {
    expect(() => fingerprintOf(new Map())).toThrow(/plain/);
    expect(() => fingerprintOf({ s: new Set([1]) })).toThrow(/plain/);
    expect(() => fingerprintOf(() => 1)).toThrow(/plain data/);
  });
});

describe('canonical data helpers', () => {
  it('compareValues is a total order consistent with canonical JSON equality', () => {
    fc.assert(
      fc.property(plain, plain, plain, (x, y, z) => {
        expect(Math.sign(compareValues(x, y)) + Math.sign(compareValues(y, x))).toBe(0);
        expect(compareValues(x, y) === 0).toBe(canonicalJson(x) === canonicalJson(y));
        if (compareValues(x, y) <= 0 && compareValues(y, z) <= 0) expect(compareValues(x, z)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('a set built by setAdd in any order is the same sorted array', () => {
    fc.assert(
      fc.property(fc.array(plain, { maxLength: 8 }), (items) => {
        const build = (xs: readonly unknown[]) => xs.reduce<readonly unknown[]>((s, x) => setAdd(s, x), []);
        const forward = build(items);
        const backward = build([...items].reverse().map(reverseKeys));
        expect(fingerprintOf(backward)).toBe(fingerprintOf(forward));
        for (const x of items) expect(setHas(forward, reverseKeys(x))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
