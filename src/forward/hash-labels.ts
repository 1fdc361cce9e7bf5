/**
 * A fast, non-cryptographic hash of a flat label array, used to pick the
 * shard of a series: the same label set always gets the same hash, so a
 * series always lands on the same shard and its samples keep their order
 * (remote write 1.0: "shard by series", PROTOCOLS.md §2.1).
 */

const FNV_OFFSET_BASIS_32 = 0x811c9dc5;
const FNV_PRIME_32 = 0x01000193;
// Mixed in after every string so ['ab', 'c'] and ['a', 'bc'] hash apart.
const SEPARATOR = 0xffff;

/**
 * 32-bit FNV-1a over the UTF-16 code units of every name and value, as an
 * unsigned integer. Labels must be sorted (as in SeriesBatch) for equal sets
 * to hash equally.
 */
export function hashLabels(labels: readonly string[]): number {
  let hash = FNV_OFFSET_BASIS_32;
  for (let i = 0; i < labels.length; i++) {
    const text = labels[i]!;
    for (let j = 0; j < text.length; j++) {
      hash ^= text.charCodeAt(j);
      hash = Math.imul(hash, FNV_PRIME_32);
    }
    hash ^= SEPARATOR;
    hash = Math.imul(hash, FNV_PRIME_32);
  }
  return hash >>> 0;
}
