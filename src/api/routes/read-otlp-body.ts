/**
 * Reads an OTLP/HTTP body with the server's size caps. A JSON body is
 * decompressed no further than `request_limits.max_json_bytes`: the JSON
 * decoders refuse anything larger (JSON.parse is one blocking step), so
 * inflating the rest of a 60 MB body would only cost memory and event loop
 * time. Past that cap the refusal names it, as the decoder's would.
 */
import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeError } from '../../errors.js';
import {
  overRequestLimit,
  readBody,
  type RequestLimits,
} from '../../protocol/index.js';
import { bodyLimitsOf, type ServerLimits } from './body-limits-of.js';

export async function readOtlpBody(
  req: IncomingMessage,
  format: 'protobuf' | 'json',
  signal: 'metrics' | 'logs',
  server: ServerLimits,
  requestLimits: RequestLimits
): Promise<Uint8Array> {
  const jsonCapped =
    format === 'json' &&
    requestLimits.maxJsonBytes < server.max_decompressed_bytes;
  const maxDecompressedBytes = jsonCapped
    ? requestLimits.maxJsonBytes
    : server.max_decompressed_bytes;
  try {
    const { body } = await readBody(
      req,
      req.headers['content-encoding'],
      // The connection bounds (conn, docs/connections.md) hold for OTLP too.
      bodyLimitsOf(server, maxDecompressedBytes)
    );
    return body;
  } catch (err) {
    if (
      jsonCapped &&
      err instanceof PayloadTooLargeError &&
      err.limitBytes === maxDecompressedBytes
    ) {
      throw overRequestLimit(
        requestLimits,
        'maxJsonBytes',
        `cannot decode OTLP ${signal}: JSON body of more than ${maxDecompressedBytes} bytes`
      );
    }
    throw err;
  }
}
