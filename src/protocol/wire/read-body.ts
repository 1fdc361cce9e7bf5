/**
 * Reads a request body with a cap on its size on the wire, and undoes
 * `Content-Encoding: gzip` with a cap on the decompressed size, so neither a
 * huge body nor a zip bomb can exhaust memory (OTLP spec: limit after
 * decompression, 413 above it). A body must also keep arriving at a minimum
 * pace (`BodyPace`), so a slow sender cannot hold a request open for ever.
 */
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import {
  InvalidPayloadError,
  PayloadTooLargeError,
  RequestTimeoutError,
  UnsupportedMediaTypeError,
} from '../../errors.js';

/**
 * How fast a body must arrive: every body gets `baseTimeoutMs`, and each
 * `minBytesPerSecond` bytes received buy one more second. A large body on a
 * slow but honest link keeps earning time; a trickle does not.
 */
export interface BodyPace {
  /** Time any body gets, whatever its size (ms). */
  readonly baseTimeoutMs: number;
  /** Bytes that buy one more second. */
  readonly minBytesPerSecond: number;
}

/**
 * The time (ms since the body started) a body may take once `receivedBytes`
 * have arrived. Bytes received buy time, not the declared Content-Length: a
 * sender that declares 32 MiB and trickles it gets no more than the base.
 */
export function bodyTimeAllowedMs(
  receivedBytes: number,
  pace: BodyPace
): number {
  return pace.baseTimeoutMs + (receivedBytes * 1000) / pace.minBytesPerSecond;
}

/** Options of `readCapped`. */
export interface ReadCappedOptions {
  /**
   * On overflow a request stream is drained and discarded (`drain`), so the
   * sender still gets its 413 rather than a reset; a decompressor is
   * destroyed (`destroy`), so a zip bomb stops costing CPU at once.
   */
  onOverflow?: 'drain' | 'destroy';
  /** Absent: no time limit (a local decompressor, not a network peer). */
  pace?: BodyPace | undefined;
  /** ms clock, for tests. */
  now?: () => number;
}

/**
 * Collects a stream into one buffer, failing past `maxBytes` (413) or when the
 * body falls behind `options.pace` (408). A timed-out stream is paused and left
 * unread: the caller answers and closes the connection.
 */
export function readCapped(
  stream: Readable,
  maxBytes: number,
  what: string,
  options: ReadCappedOptions = {}
): Promise<Uint8Array> {
  const { onOverflow = 'drain', pace, now = Date.now } = options;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const startedAtMs = now();
    let timer: NodeJS.Timeout | undefined;

    const finish = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (timer !== undefined) clearTimeout(timer);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        finish();
        if (onOverflow === 'drain') stream.resume();
        else stream.destroy();
        reject(
          new PayloadTooLargeError(
            `cannot read ${what}: more than the ${maxBytes}-byte limit`,
            maxBytes
          )
        );
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      finish();
      const joined =
        chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
      resolve(
        new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength)
      );
    };
    const onError = (err: Error): void => {
      finish();
      reject(err);
    };
    const onClose = (): void => {
      finish();
      reject(
        new Error(`cannot read ${what}: the stream closed before its end`)
      );
    };
    // One timer per body, re-armed only when it fires early (bytes that
    // arrived meanwhile bought more time), never once per chunk.
    const onDeadline = (limit: BodyPace): void => {
      const elapsedMs = now() - startedAtMs;
      const leftMs = bodyTimeAllowedMs(total, limit) - elapsedMs;
      if (leftMs > 0) {
        timer = setTimeout(onDeadline, leftMs, limit);
        return;
      }
      finish();
      stream.pause();
      reject(
        new RequestTimeoutError(
          `cannot read ${what}: ${total} bytes in ${elapsedMs} ms, slower than the ${limit.minBytesPerSecond} bytes/s minimum after the first ${limit.baseTimeoutMs} ms`,
          total
        )
      );
    };

    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
    if (pace !== undefined)
      timer = setTimeout(onDeadline, bodyTimeAllowedMs(0, pace), pace);
  });
}

/** Gunzips `body`, failing past `maxBytes` of output. */
export async function gunzipCapped(
  body: Uint8Array,
  maxBytes: number
): Promise<Uint8Array> {
  const gunzip = createGunzip();
  gunzip.end(body);
  try {
    return await readCapped(gunzip, maxBytes, 'gzip-decompressed body', {
      onOverflow: 'destroy',
    });
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
  /** Time every body gets (ms), `server.body_timeout`. */
  bodyTimeoutMs: number;
  /** Bytes/s a body must keep up after that, `server.min_body_rate`. */
  minBodyBytesPerSecond: number;
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
  const raw = await readCapped(stream, limits.maxBodyBytes, 'request body', {
    pace: {
      baseTimeoutMs: limits.bodyTimeoutMs,
      minBytesPerSecond: limits.minBodyBytesPerSecond,
    },
  });
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
