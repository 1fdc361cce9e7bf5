/** 32-bit FNV-1a over bytes [start, end): the hash the series and symbol caches key by. */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++)
    hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  return hash >>> 0;
}
