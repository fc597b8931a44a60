// ZooKeeper transaction ids (Zab: Junqueira, Reed & Serafini, DSN 2011; ZooKeeper's ZxidUtils):
// a zxid is 64 bits, the high 32 the epoch of the leader that proposed it and the low 32 a
// counter within that epoch. A new epoch starts its counter at 0 (the first proposal of an
// epoch is counter 1); counter 2^32 − 1 is the last zxid an epoch can issue (ZooKeeper then
// forces a new election: Leader "zxid lower 32 bits have rolled over"). Zxids order as unsigned
// 64-bit integers, i.e. by (epoch, counter). Kept as a pair of small integers: plain data that
// hashes and prints well, with no lossy float (2^64 does not fit a double exactly).

export interface Zxid {
  readonly epoch: number;
  readonly counter: number;
}

const U32_MAX = 0xffffffff;

function checkU32(name: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 0 && v <= U32_MAX)) throw new RangeError(`${name} must be an unsigned 32-bit integer, got ${v}`);
}

export function zxid(epoch: number, counter: number): Zxid {
  checkU32('epoch', epoch);
  checkU32('counter', counter);
  return { epoch, counter };
}

/** The zxid before any transaction: epoch 0, counter 0. */
export const ZERO_ZXID: Zxid = { epoch: 0, counter: 0 };

/** Unsigned 64-bit order: by epoch, then by counter. */
export function compareZxid(a: Zxid, b: Zxid): number {
  return a.epoch !== b.epoch ? (a.epoch < b.epoch ? -1 : 1) : a.counter === b.counter ? 0 : a.counter < b.counter ? -1 : 1;
}

/** The next zxid of the same epoch, or undefined when the epoch's counter is exhausted (the
 * leader must then give up leadership so that a new epoch begins). */
export function nextInEpoch(z: Zxid): Zxid | undefined {
  return z.counter === U32_MAX ? undefined : { epoch: z.epoch, counter: z.counter + 1 };
}

/** The first zxid of a new epoch (a new leader's NEWLEADER zxid): counter reset to 0. */
export function epochStart(epoch: number): Zxid {
  return zxid(epoch, 0);
}

/** The 64-bit value, as ZooKeeper logs it. */
export function toBigInt(z: Zxid): bigint {
  return (BigInt(z.epoch) << 32n) | BigInt(z.counter);
}

export function fromBigInt(v: bigint): Zxid {
  if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`a zxid is an unsigned 64-bit integer, got ${v}`);
  return { epoch: Number(v >> 32n), counter: Number(v & 0xffffffffn) };
}

/** "0x<hex>" as ZooKeeper prints zxids (e.g. in log and snapshot file names). */
export function formatZxid(z: Zxid): string {
  return `0x${toBigInt(z).toString(16)}`;
}
