/**
 * Snappy block format (not framed: remote write forbids the framed format).
 * The native `snappy` binding is used when it loads (several times faster);
 * otherwise snappyjs compresses and the strict decoder below decompresses.
 * Before decompressing, the declared uncompressed length in the block header
 * is checked against the cap, so a hostile header cannot make us allocate
 * gigabytes.
 */
import { createRequire } from 'node:module';
import SnappyJS from 'snappyjs';
import { InvalidPayloadError, PayloadTooLargeError } from '../../errors.js';

interface SnappyBinding {
  compressSync(input: Uint8Array): Buffer;
  uncompressSync(
    input: Uint8Array,
    options?: { asBuffer?: boolean }
  ): Buffer | string;
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
export const SNAPPY_IMPLEMENTATION: 'native' | 'js' =
  native === undefined ? 'js' : 'native';

/**
 * Reads the uncompressed length a snappy block declares (a varint at its
 * start), without decompressing.
 */
export function snappyDeclaredLength(block: Uint8Array): number {
  let value = 0;
  for (let i = 0, shift = 0; i < 5; i++, shift += 7) {
    const byte = block[i];
    if (byte === undefined) {
      throw new InvalidPayloadError(
        'cannot decode snappy block: truncated length header'
      );
    }
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return value;
  }
  throw new InvalidPayloadError(
    'cannot decode snappy block: length header longer than 5 bytes'
  );
}

/** Decompresses one snappy block, refusing blocks that declare more than `maxBytes`. */
export function snappyUncompress(
  block: Uint8Array,
  maxBytes: number
): Uint8Array {
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
    return uncompressPortable(block, declared);
  } catch (err) {
    if (err instanceof InvalidPayloadError) throw err;
    throw new InvalidPayloadError(
      `cannot decode snappy block: ${err instanceof Error ? err.message : String(err)} (is the body snappy block format?)`,
      { cause: err }
    );
  }
}

/**
 * Portable block decoder. snappyjs' own `uncompress` does not check that the
 * elements fill exactly the declared length nor that copies stay inside it:
 * a truncated or corrupt block comes back zero-padded instead of failing.
 * This one checks every element against both buffers.
 */
function uncompressPortable(block: Uint8Array, declared: number): Uint8Array {
  const out = new Uint8Array(declared);
  let pos = varintLength(block);
  let outPos = 0;
  while (pos < block.length) {
    const tag = block[pos++]!;
    const kind = tag & 3;
    let length: number;
    if (kind === 0) {
      // Literal: length-1 in the tag's upper 6 bits, or in 1-4 extra bytes.
      length = tag >>> 2;
      if (length >= 60) {
        const extra = length - 59;
        if (pos + extra > block.length)
          throw corrupt('truncated literal length', pos);
        length = 0;
        for (let i = extra - 1; i >= 0; i--)
          length = length * 256 + block[pos + i]!;
        pos += extra;
      }
      length += 1;
      if (pos + length > block.length)
        throw corrupt('literal overruns the block', pos);
      if (outPos + length > declared)
        throw corrupt('literal overruns the declared length', pos);
      out.set(block.subarray(pos, pos + length), outPos);
      pos += length;
      outPos += length;
      continue;
    }
    let offset: number;
    if (kind === 1) {
      if (pos + 1 > block.length) throw corrupt('truncated copy', pos);
      length = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | block[pos]!;
      pos += 1;
    } else if (kind === 2) {
      if (pos + 2 > block.length) throw corrupt('truncated copy', pos);
      length = (tag >>> 2) + 1;
      offset = block[pos]! | (block[pos + 1]! << 8);
      pos += 2;
    } else {
      if (pos + 4 > block.length) throw corrupt('truncated copy', pos);
      length = (tag >>> 2) + 1;
      offset =
        (block[pos]! |
          (block[pos + 1]! << 8) |
          (block[pos + 2]! << 16) |
          (block[pos + 3]! << 24)) >>>
        0;
      pos += 4;
    }
    if (offset === 0 || offset > outPos)
      throw corrupt(`copy offset ${offset} out of range`, pos);
    if (outPos + length > declared)
      throw corrupt('copy overruns the declared length', pos);
    // Byte by byte: source and destination may overlap (run-length copies).
    for (let i = 0; i < length; i++, outPos++)
      out[outPos] = out[outPos - offset]!;
  }
  if (outPos !== declared) {
    throw new InvalidPayloadError(
      `cannot decode snappy block: it declares ${declared} bytes but holds ${outPos}`
    );
  }
  return out;
}

/** Size in bytes of the length header (already validated by snappyDeclaredLength). */
function varintLength(block: Uint8Array): number {
  let i = 0;
  while (block[i]! >= 0x80) i++;
  return i + 1;
}

function corrupt(what: string, offset: number): InvalidPayloadError {
  return new InvalidPayloadError(
    `cannot decode snappy block: ${what} at offset ${offset}`
  );
}

/** Compresses one snappy block. */
export function snappyCompress(input: Uint8Array): Uint8Array {
  if (native !== undefined) {
    const out = native.compressSync(input);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
  return SnappyJS.compress(input);
}
