// Consistent hashing (src/hashing): the hash functions on known vectors, jump hash against the
// paper's algorithm, the minimal-movement properties over random node sets and keys, and the
// measured movement and load against the formulas, on fixed key sets (no flakes, no timings).

import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { fnv1a32, hash64, murmur3, murmur32 } from '../src/hashing/hash.ts';
import { jumpHash, jumpPlacement, moduloPlacement, rendezvousPlacement, ringPlacement, type Placement } from '../src/hashing/placement.ts';
import { expectedRingStdDev, harmonic, keyRange, loadOf, movedFraction, nodeRange } from '../src/hashing/measure.ts';
import { buildRegistered, findModel, findScenario, runCheck, scenarioCheck, variantCheck } from '../src/verify/index.ts';
import { loadTrace, replayTrace } from '../src/trace/trace.ts';
import { join } from 'node:path';

describe('hash functions', () => {
  it('FNV-1a 32 and MurmurHash3 x86-32 give the published test vectors', () => {
    expect(['', 'a', 'foobar'].map(fnv1a32)).toEqual([0x811c9dc5, 0xe40c292c, 0xbf9cf968]);
    expect(murmur3('', 0)).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('', 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3('hello', 0)).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog', 0)).toBe(0x2e4ff723);
  });

  it('hash64 is two independent 32-bit words', () => {
    expect(hash64('x') >> 32n).toBe(BigInt(murmur32('x')));
    expect(hash64('x') & 0xffffffffn).not.toBe(hash64('x') >> 32n);
  });
});

describe('jump consistent hash', () => {
  // Outputs of the paper's C function (Lamping & Veach 2014, Figure 1), compiled with gcc -O2
  // here, for these keys and bucket counts 1, 2, 3, 10, 100, 1000, 65536, 2^31 - 1.
  const buckets = [1, 2, 3, 10, 100, 1000, 65536, 2147483647];
  const vectors: [bigint, number[]][] = [
    [0n, [0, 0, 0, 0, 0, 0, 0, 0]],
    [1n, [0, 0, 0, 6, 55, 549, 21134, 262355607]],
    [2n, [0, 0, 0, 6, 62, 338, 3927, 736532115]],
    [42n, [0, 1, 2, 2, 43, 571, 5747, 1603940301]],
    [1000n, [0, 0, 0, 9, 93, 93, 31613, 1776023937]],
    [123456789n, [0, 0, 0, 7, 34, 294, 42483, 1234790967]],
    [3735928559n, [0, 1, 2, 5, 87, 285, 64244, 1452406526]],
    [18446744073709551615n, [0, 1, 2, 9, 92, 313, 18311, 699554662]],
    [9223372036854775808n, [0, 1, 1, 5, 84, 453, 53854, 1119800965]],
    [9876543210123n, [0, 1, 1, 6, 89, 517, 4268, 2001805207]],
  ];
  it.each(vectors)('key %s lands in the buckets the reference implementation computes', (key, expected) => {
    expect(buckets.map((b) => jumpHash(key, b))).toEqual(expected);
  });

  test.prop([fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.integer({ min: 1, max: 5000 })])(
    'a key moves only to the new bucket when a bucket is added',
    (key, n) => {
      const before = jumpHash(key, n);
      const after = jumpHash(key, n + 1);
      expect(after === before || after === n).toBe(true);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Minimal movement, over random node sets and keys

const schemes: [string, (nodes: readonly string[]) => Placement][] = [
  ['ring (1 point per node)', (nodes) => ringPlacement(nodes, murmur32, 1)],
  ['ring (16 points per node)', (nodes) => ringPlacement(nodes, murmur32, 16)],
  ['ring over FNV-1a', (nodes) => ringPlacement(nodes, fnv1a32, 8)],
  ['rendezvous', (nodes) => rendezvousPlacement(nodes, murmur32)],
  ['jump', (nodes) => jumpPlacement(nodes)],
];

const nodeSets = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), { minLength: 1, maxLength: 12 });
const keySets = fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 60 });

describe.each(schemes)('%s', (_name, build) => {
  test.prop([nodeSets, keySets])('lookups are deterministic and name a placed node, whatever order the nodes came in', (nodes, keys) => {
    const p = build(nodes);
    for (const key of keys) {
      expect(nodes).toContain(p.lookup(key));
      expect(build(nodes).lookup(key)).toBe(p.lookup(key));
    }
  });

  test.prop([nodeSets, fc.stringMatching(/^[A-Z][a-z]{0,5}$/), keySets])('adding a node moves only keys that move to the new node', (nodes, extra, keys) => {
    const before = build(nodes);
    const after = before.add(extra);
    for (const key of keys) {
      const [a, b] = [before.lookup(key), after.lookup(key)];
      if (a !== b) expect(b).toBe(extra);
    }
  });

  test.prop([nodeSets.filter((n) => n.length >= 2), fc.nat(), keySets])('removing a node moves only that node\'s keys (for jump: the last node)', (nodes, pick, keys) => {
    const before = build(nodes);
    const gone = before.scheme === 'jump' ? nodes[nodes.length - 1] : nodes[pick % nodes.length];
    const after = before.remove(gone);
    for (const key of keys) {
      const [a, b] = [before.lookup(key), after.lookup(key)];
      if (a !== b) expect(a).toBe(gone);
    }
  });
});

describe('modulo hashing, the baseline', () => {
  it('adding a node moves keys between old nodes too (the avalanche consistent hashing avoids)', () => {
    const before = moduloPlacement(nodeRange(10), murmur32);
    const after = before.add('n10');
    const keys = keyRange(2000);
    expect(keys.some((k) => before.lookup(k) !== after.lookup(k) && after.lookup(k) !== 'n10')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Measured against the formulas, on fixed key sets: deterministic, with margins for the
// hash's deviation from uniform (measured here: each within a few percent of the formula).

describe('movement and load match the formulas', () => {
  const keys = keyRange(20_000);

  it.each([10, 50])('adding the %ith+1 node moves N/(N+1) of the keys with modulo and about 1/(N+1) with ring, rendezvous and jump', (n) => {
    const nodes = nodeRange(n);
    const moved = (p: Placement) => movedFraction(p, p.add(`n${n}`), keys);
    expect(moved(moduloPlacement(nodes, murmur32))).toBeCloseTo(n / (n + 1), 1);
    for (const p of [ringPlacement(nodes, murmur32, 100), rendezvousPlacement(nodes, murmur32), jumpPlacement(nodes)]) {
      const m = moved(p);
      expect(m, p.scheme).toBeGreaterThan(0.6 / (n + 1));
      expect(m, p.scheme).toBeLessThan(1.5 / (n + 1));
    }
  });

  it('with one point per node the busiest node carries several times the mean (about H_N), and virtual nodes even it out as sqrt((N-1)/(NV+1)) says', () => {
    const n = 50;
    const nodes = nodeRange(n);
    const single = loadOf(ringPlacement(nodes, murmur32, 1), keys);
    expect(single.maxOverMean).toBeGreaterThan(0.5 * harmonic(n));
    expect(single.maxOverMean).toBeLessThan(2 * harmonic(n));
    for (const v of [10, 100]) {
      const load = loadOf(ringPlacement(nodes, murmur32, v), keys);
      // The key sample itself adds sqrt(N / keys) of relative deviation.
      const expected = Math.hypot(expectedRingStdDev(n, v), Math.sqrt(n / keys.length));
      expect(load.relativeStdDev, `V=${v}`).toBeGreaterThan(0.6 * expected);
      expect(load.relativeStdDev, `V=${v}`).toBeLessThan(1.5 * expected);
    }
    // Jump hash and rendezvous are even up to sampling.
    for (const p of [jumpPlacement(nodes), rendezvousPlacement(nodes, murmur32)]) {
      expect(loadOf(p, keys).relativeStdDev, p.scheme).toBeLessThan(2 * Math.sqrt(n / keys.length));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The ring in a system: models/cache-cluster


describe('cache-cluster: routers following the membership serve every key from the node the ring names', () => {
  const def = findModel('cache-cluster');
  const stats = (o: ReturnType<typeof runCheck>) => [o.summary.status, o.summary.distinctStates, o.summary.totalStates, o.summary.depth];

  it('with joins and leaves, one router: holds, and a key moved to a joining node is served there', () => {
    const o = runCheck(variantCheck(def, 'default'));
    expect(stats(o)).toEqual(['holds', 1_883, 3_972, 13]);
    expect(o.result.kind === 'safety' && o.result.explore.witnesses.every((w) => w.reached)).toBe(true);
  });

  it('two routers and a lost view: holds', () => {
    expect(stats(runCheck(scenarioCheck(def, findScenario(def, 'two-routers-one-change'))))).toEqual(['holds', 46_647, 154_805, 20]);
  });

  it('a router with a stale ring serves a moved key from its old owner: found in 5 steps, and the saved trace replays', () => {
    const o = runCheck(variantCheck(def, 'stale-ring'));
    expect([o.findings[0].property, o.findings[0].steps, o.matchesExpected]).toEqual(['ServedByRingOwner', 5, true]);
    const file = join(import.meta.dirname, '..', 'traces', 'cache-cluster', 'stale-ring-servedbyringowner.json');
    expect(replayTrace(loadTrace(file), file, buildRegistered).reproduced).toBe(true);
  });
});
