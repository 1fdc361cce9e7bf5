/**
 * Reads a request body with a cap on its size on the wire, and undoes
 * `Content-Encoding: gzip` with a cap on the decompressed size, so neither a
 * huge body nor a zip bomb can exhaust memory (OTLP spec: limit after
 * decompression, 413 above it).
 */
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import {
  InvalidPayloadError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../errors.js';

/**
 * Collects a stream into one buffer, failing past `maxBytes`. On overflow a
 * request stream is drained and discarded (`drain`), so the sender still gets
 * its 413 rather than a reset; a decompressor is destroyed (`destroy`), so a
 * zip bomb stops costing CPU at once.
 */
export async function readCapped(
  stream: Readable,
  maxBytes: number,
  what: string,
  onOverflow: 'drain' | 'destroy' = 'drain'
): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > maxBytes) {
      if (onOverflow === 'drain') stream.resume();
      else stream.destroy();
      throw new PayloadTooLargeError(
        `cannot read ${what}: more than the ${maxBytes}-byte limit`,
        maxBytes
      );
    }
    chunks.push(buf);
  }
  const joined =
    chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
}

/** Gunzips `body`, failing past `maxBytes` of output. */
export async function gunzipCapped(
  body: Uint8Array,
  maxBytes: number
): Promise<Uint8Array> {
  const gunzip = createGunzip();
  gunzip.end(body);
  try {
    return await readCapped(
      gunzip,
      maxBytes,
      'gzip-decompressed body',
      'destroy'
    );
  } catch (err) {
    if (err instanceof PayloadTooLargeError) throw err;
    throw new InvalidPayloadError(
      `cannot decompress gzip body: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err }
    );
  }
}

export interface BodyLimits {
  /** Largest body accepted on the wire. */
  maxBodyBytes: number;
  /** Largest body accepted after decompression. */
  maxDecompressedBytes: number;
}

/**
 * Reads a body and undoes its generic content coding (`identity` or `gzip`).
 * Protocol-specific codings (snappy for remote write) are left to the caller:
 * pass them in `passThroughEncodings`.
 */
export async function readBody(
  stream: Readable,
  contentEncoding: string | undefined,
  limits: BodyLimits,
  passThroughEncodings: readonly string[] = []
): Promise<{ body: Uint8Array; encoding: string }> {
  const encoding =
    (contentEncoding ?? 'identity').trim().toLowerCase() || 'identity';
  if (
    encoding !== 'identity' &&
    encoding !== 'gzip' &&
    !passThroughEncodings.includes(encoding)
  ) {
    throw new UnsupportedMediaTypeError(
      `cannot read body: unsupported Content-Encoding ${JSON.stringify(encoding)} (want identity, gzip${passThroughEncodings.map(e => `, ${e}`).join('')})`
    );
  }
  const raw = await readCapped(stream, limits.maxBodyBytes, 'request body');
  if (encoding === 'gzip')
    return {
      body: await gunzipCapped(raw, limits.maxDecompressedBytes),
      encoding,
    };
  if (encoding === 'identity' && raw.length > limits.maxDecompressedBytes) {
    throw new PayloadTooLargeError(
      `cannot read body: ${raw.length} bytes, over the ${limits.maxDecompressedBytes}-byte limit`,
      limits.maxDecompressedBytes
    );
  }
  return { body: raw, encoding };
}
