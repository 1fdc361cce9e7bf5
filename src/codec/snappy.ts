/**
 * Snappy block format (not framed: remote write forbids the framed format).
 * The native `snappy` binding is used when it loads (several times faster);
 * snappyjs is the portable fallback. Before decompressing, the declared
 * uncompressed length in the block header is checked against the cap, so a
 * hostile header cannot make us allocate gigabytes.
 */
import { createRequire } from 'node:module';
import SnappyJS from 'snappyjs';
import { InvalidPayloadError, PayloadTooLargeError } from '../errors.js';

interface SnappyBinding {
  compressSync(input: Uint8Array): Buffer;
  uncompressSync(input: Uint8Array, options?: { asBuffer?: boolean }): Buffer | string;
}

function loadNativeSnappy(): SnappyBinding | undefined {
  if (process.env['FLEETGATE_SNAPPY'] === 'js') return undefined;
  try {
    return createRequire(import.meta.url)('snappy') as SnappyBinding;
  } catch {
    return undefined;
  }
}

const native = loadNativeSnappy();

/** Which implementation is in use ('native' or 'js'), for /metrics and the bench. */
export const SNAPPY_IMPLEMENTATION: 'native' | 'js' = native === undefined ? 'js' : 'native';

/**
 * Reads the uncompressed length a snappy block declares (a varint at its
 * start), without decompressing.
 */
export function snappyDeclaredLength(block: Uint8Array): number {
  let value = 0;
  for (let i = 0, shift = 0; i < 5; i++, shift += 7) {
    const byte = block[i];
    if (byte === undefined) {
      throw new InvalidPayloadError('cannot decode snappy block: truncated length header');
    }
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return value;
  }
  throw new InvalidPayloadError('cannot decode snappy block: length header longer than 5 bytes');
}

/** Decompresses one snappy block, refusing blocks that declare more than `maxBytes`. */
export function snappyUncompress(block: Uint8Array, maxBytes: number): Uint8Array {
  const declared = snappyDeclaredLength(block);
  if (declared > maxBytes) {
    throw new PayloadTooLargeError(
      `cannot decompress snappy block: it declares ${declared} bytes, over the ${maxBytes}-byte limit`,
      maxBytes
    );
  }
  try {
    if (native !== undefined) {
      const out = native.uncompressSync(block, { asBuffer: true }) as Buffer;
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    }
    return SnappyJS.uncompress(block);
  } catch (err) {
    throw new InvalidPayloadError(
      `cannot decode snappy block: ${err instanceof Error ? err.message : String(err)} (is the body snappy block format?)`,
      { cause: err }
    );
  }
}

/** Compresses one snappy block. */
export function snappyCompress(input: Uint8Array): Uint8Array {
  if (native !== undefined) {
    const out = native.compressSync(input);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
  return SnappyJS.compress(input);
}
