import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, RequestLimitError } from '../../errors.js';
import { DEFAULT_REQUEST_LIMITS } from '../../protocol/index.js';
import { readOtlpBody } from './read-otlp-body.js';

const SERVER = {
  max_body_bytes: 1 << 20,
  max_decompressed_bytes: 1 << 16,
  body_timeout: 10_000,
  min_body_rate: 8192,
};
const LIMITS = { ...DEFAULT_REQUEST_LIMITS, maxJsonBytes: 1000 };

/** A request stream carrying `body` with the given Content-Encoding. */
function request(body: Uint8Array, encoding?: string): IncomingMessage {
  const stream = Readable.from([
    Buffer.from(body),
  ]) as unknown as IncomingMessage;
  stream.headers =
    encoding === undefined ? {} : { 'content-encoding': encoding };
  return stream;
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
}

describe('readOtlpBody()', () => {
  it.each([undefined, 'gzip'])(
    'refuses a JSON body over max_json_bytes (Content-Encoding %s), naming that cap',
    async encoding => {
      const raw = Buffer.alloc(1001, 0x20);
      const body = encoding === 'gzip' ? gzipSync(raw) : raw;
      const err = await refusal(
        readOtlpBody(request(body, encoding), 'json', 'logs', SERVER, LIMITS)
      );
      expect(err).toBeInstanceOf(RequestLimitError);
      expect((err as RequestLimitError).httpStatus).toBe(413);
      expect((err as Error).message).toBe(
        'cannot decode OTLP logs: JSON body of more than 1000 bytes, over request_limits.max_json_bytes (1000)'
      );
    }
  );

  it('reads a JSON body at max_json_bytes', async () => {
    const raw = Buffer.alloc(1000, 0x20);
    const body = await readOtlpBody(
      request(gzipSync(raw), 'gzip'),
      'json',
      'metrics',
      SERVER,
      LIMITS
    );
    expect(body.length).toBe(1000);
  });

  it('caps a protobuf body by the server caps only', async () => {
    const raw = Buffer.alloc(5000);
    const body = await readOtlpBody(
      request(gzipSync(raw), 'gzip'),
      'protobuf',
      'metrics',
      SERVER,
      LIMITS
    );
    expect(body.length).toBe(5000);
    const err = await refusal(
      readOtlpBody(
        request(gzipSync(Buffer.alloc((1 << 16) + 1)), 'gzip'),
        'protobuf',
        'metrics',
        SERVER,
        LIMITS
      )
    );
    expect(err).toBeInstanceOf(PayloadTooLargeError);
  });

  it('leaves the server cap in charge when it is the smaller one', async () => {
    const err = await refusal(
      readOtlpBody(
        request(gzipSync(Buffer.alloc(2000)), 'gzip'),
        'json',
        'metrics',
        { ...SERVER, max_decompressed_bytes: 1500 },
        { ...LIMITS, maxJsonBytes: 1600 }
      )
    );
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err).not.toBeInstanceOf(RequestLimitError);
  });
});
