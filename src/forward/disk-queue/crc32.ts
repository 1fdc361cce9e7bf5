/**
 * CRC-32 (IEEE 802.3, the zlib/gzip polynomial 0xEDB88320) of a byte range.
 * Node has `zlib.crc32` since 22.2 and 20.15; older Node 20 releases (the
 * package allows >=20) get a table-driven fallback that gives the same value.
 */
import * as zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, value?: number) => number;

const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * The table-driven CRC-32, continuing from `value` (0 to start). Exported so
 * tests can check it against zlib's; use `crc32` instead.
 */
export function crc32Table(data: Uint8Array, value = 0): number {
  let c = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) {
    c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

// `zlib.crc32` is missing from Node 20 before 20.15, whatever the types say.
const native = (zlib as { crc32?: Crc32 }).crc32;

/** CRC-32 of `data`, continuing from `value` (0 to start); an unsigned 32-bit integer. */
export const crc32: Crc32 = typeof native === 'function' ? native : crc32Table;
