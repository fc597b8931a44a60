// ZooKeeper zxids (models/zab/zxid.ts): (epoch, counter) pairs that order as the unsigned 64-bit
// integers ZooKeeper stores, compared with a naive bigint reference over random values.

import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { compareZxid, epochStart, formatZxid, fromBigInt, nextInEpoch, toBigInt, zxid, ZERO_ZXID } from '../models/zab/zxid.ts';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const zxids = fc.record({ epoch: u32, counter: u32 });
const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
const sign = (x: bigint) => (x < 0n ? -1 : x > 0n ? 1 : 0);

describe('zxids', () => {
  test.prop([zxids, zxids])('order exactly as their unsigned 64-bit values', (a, b) => {
    expect(compareZxid(a, b)).toBe(sign(toBigInt(a) - toBigInt(b)));
  });

  test.prop([u64])('round-trip through the 64-bit value without loss (no float in between)', (v) => {
    expect(toBigInt(fromBigInt(v))).toBe(v);
  });

  test.prop([zxids])('the next zxid of an epoch is the next 64-bit value, until the counter is exhausted', (z) => {
    const next = nextInEpoch(z);
    if (z.counter === 0xffffffff) expect(next).toBeUndefined();
    else expect(toBigInt(next!)).toBe(toBigInt(z) + 1n);
  });

  test.prop([zxids, fc.integer({ min: 1, max: 0xffffffff })])('a new epoch starts above every zxid of the epochs before it, with its counter reset', (z, later) => {
    const epoch = Math.min(0xffffffff, z.epoch + later);
    fc.pre(epoch > z.epoch);
    const start = epochStart(epoch);
    expect([start.counter, compareZxid(start, z)]).toEqual([0, 1]);
  });

  it('the last zxid of an epoch is counter 2^32 - 1, and the first of the next epoch is above it', () => {
    const last = zxid(7, 0xffffffff);
    expect(nextInEpoch(last)).toBeUndefined();
    expect(compareZxid(epochStart(8), last)).toBe(1);
    expect(formatZxid(last)).toBe('0x7ffffffff');
    expect(formatZxid(epochStart(8))).toBe('0x800000000');
  });

  it('values beyond 32 bits per half, or beyond 64 bits, are refused', () => {
    expect(() => zxid(2 ** 32, 0)).toThrow('epoch must be an unsigned 32-bit integer, got 4294967296');
    expect(() => zxid(0, -1)).toThrow(RangeError);
    expect(() => fromBigInt(1n << 64n)).toThrow(RangeError);
    expect(ZERO_ZXID).toEqual(zxid(0, 0));
  });
});
