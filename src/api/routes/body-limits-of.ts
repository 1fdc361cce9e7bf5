/** The `server.*` body caps as readBody takes them (every ingest route). */
import type { Config } from '../../config/index.js';
import type { BodyLimits } from '../../protocol/index.js';

export type ServerLimits = Pick<
  Config['server'],
  'max_body_bytes' | 'max_decompressed_bytes' | 'body_timeout' | 'min_body_rate'
>;

/** `server.*` caps as readBody takes them; `maxDecompressedBytes` defaults to `server.max_decompressed_bytes`. */
export function bodyLimitsOf(
  server: ServerLimits,
  maxDecompressedBytes = server.max_decompressed_bytes
): BodyLimits {
  return {
    maxBodyBytes: server.max_body_bytes,
    maxDecompressedBytes,
    bodyTimeoutMs: server.body_timeout,
    minBodyBytesPerSecond: server.min_body_rate,
  };
}
