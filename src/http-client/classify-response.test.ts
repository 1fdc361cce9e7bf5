import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../errors.js';
import { classifyResponse } from './classify-response.js';

const NOW_MS = Date.parse('2024-05-01T12:00:00Z');
const refusal = (): UpstreamError => new UpstreamError('cannot post: refused');

function respond(status: number, headers: Record<string, string> = {}) {
  return new Response(null, { status, headers });
}

describe('classifyResponse', () => {
  it('calls every 2xx a success and builds no error', () => {
    let refusals = 0;
    const countRefusal = (): UpstreamError => {
      refusals++;
      return refusal();
    };
    for (const status of [200, 204, 299]) {
      expect(
        classifyResponse(respond(status), '', countRefusal, () => NOW_MS)
      ).toEqual({ status: 'success', httpStatus: status });
    }
    expect(refusals).toBe(0);
  });

  it('calls a 4xx other than 429 a failure carrying the response body', () => {
    const result = classifyResponse(
      respond(400),
      'out of order sample',
      refusal,
      () => NOW_MS
    );
    expect(result).toEqual({
      status: 'failure',
      httpStatus: 400,
      error: new UpstreamError('cannot post: refused'),
      responseBody: 'out of order sample',
    });
  });

  it('retries 429 and 5xx, with the Retry-After delay when there is one', () => {
    expect(
      classifyResponse(
        respond(503, { 'Retry-After': '7' }),
        '',
        refusal,
        () => NOW_MS
      )
    ).toMatchObject({
      status: 'retryable',
      httpStatus: 503,
      retryInMillis: 7000,
    });
    const dated = classifyResponse(
      respond(429, { 'Retry-After': 'Wed, 01 May 2024 12:00:03 GMT' }),
      '',
      refusal,
      () => NOW_MS
    );
    expect(dated).toMatchObject({ status: 'retryable', retryInMillis: 3000 });
    const bare = classifyResponse(respond(500), '', refusal, () => NOW_MS);
    expect(bare.status).toBe('retryable');
    expect('retryInMillis' in bare).toBe(false);
  });
});
