// Hash functions for key placement: 32-bit FNV-1a and MurmurHash3 (x86, 32-bit), and a 64-bit
// hash built from two MurmurHash3 runs, for jump consistent hash's 64-bit keys. Keys are
// strings, hashed over their UTF-8 bytes. Written from the algorithms' descriptions (Fowler,
// Noll & Vo; Appleby's MurmurHash3 specification); tests pin their outputs on known vectors.

/** A 32-bit hash of a string: an unsigned integer in [0, 2^32). */
export type Hash32 = (key: string) => number;

const encoder = new TextEncoder();
/** Scratch space for a key's UTF-8 bytes (hashing is synchronous, so sharing it is safe). */
let scratch = new Uint8Array(256);

/** The key's UTF-8 bytes, in `scratch`, and their number: no allocation per key. */
function utf8(key: string): number {
  if (scratch.length < key.length * 3) scratch = new Uint8Array(key.length * 3);
  return encoder.encodeInto(key, scratch).written;
}

/** FNV-1a, 32 bits: simple and fast, with weaker mixing of the last bytes than MurmurHash3. */
export const fnv1a32: Hash32 = (key) => {
  let h = 0x811c9dc5;
  const length = utf8(key);
  for (let i = 0; i < length; i++) {
    h ^= scratch[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
};

/** MurmurHash3 x86 32-bit with a seed. */
export function murmur3(key: string, seed = 0): number {
  const length = utf8(key);
  const bytes = scratch;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const at = i * 4;
    let k = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = blocks * 4;
  const rest = length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= bytes[tail + 2] << 16;
    if (rest >= 2) k ^= bytes[tail + 1] << 8;
    k ^= bytes[tail];
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export const murmur32: Hash32 = (key) => murmur3(key, 0);

/** A 64-bit hash: two MurmurHash3 runs with different seeds, high and low words. */
export function hash64(key: string): bigint {
  return (BigInt(murmur3(key, 0)) << 32n) | BigInt(murmur3(key, 0x9747b28c));
}
