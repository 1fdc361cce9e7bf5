import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PayloadTooLargeError, RequestTimeoutError } from '../../errors.js';
import { bodyTimeAllowedMs, readBody, readCapped } from './read-body.js';

const PACE = { baseTimeoutMs: 2000, minBytesPerSecond: 1000 };

/** What `promise` rejects with (undefined if it resolves), without an unhandled rejection meanwhile. */
function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err
  );
}

describe('bodyTimeAllowedMs()', () => {
  it.each([
    [0, 2000],
    [1, 2001],
    [1000, 3000],
    [32 * 1024 * 1024, 2000 + 32 * 1024 * 1024],
  ])('gives %i bytes received %i ms', (received, want) => {
    expect(bodyTimeAllowedMs(received, PACE)).toBe(want);
  });
});

describe('readCapped()', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Writes `chunkBytes` every `everyMs`, `chunks` times, advancing the clock. */
  async function trickle(
    stream: PassThrough,
    chunks: number,
    chunkBytes: number,
    everyMs: number
  ): Promise<void> {
    for (let i = 0; i < chunks; i++) {
      stream.write(Buffer.alloc(chunkBytes, 1));
      await vi.advanceTimersByTimeAsync(everyMs);
    }
  }

  it('refuses a trickle with a 408 once the base time is spent, and leaves the rest unread', async () => {
    const stream = new PassThrough();
    const read = readCapped(stream, 1 << 20, 'request body', { pace: PACE });
    const failed = rejectionOf(read);
    // 1 byte/s buys 1 ms a second: the base (2 s) plus 2 ms.
    await trickle(stream, 3, 1, 1000);
    const err = await failed;
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect((err as RequestTimeoutError).httpStatus).toBe(408);
    expect((err as RequestTimeoutError).receivedBytes).toBe(3);
    expect((err as Error).message).toMatch(
      /^cannot read request body: 3 bytes in 20\d\d ms, slower than the 1000 bytes\/s minimum after the first 2000 ms$/
    );
    expect(stream.isPaused()).toBe(true);
    expect(stream.listenerCount('data')).toBe(0);
  });

  it('gives a large body on a slow link that keeps the minimum pace all the time it needs', async () => {
    const stream = new PassThrough();
    const read = readCapped(stream, 1 << 20, 'request body', { pace: PACE });
    // 1200 bytes/s for 30 s: fifteen times the base time, never behind the pace.
    await trickle(stream, 30, 1200, 1000);
    stream.end();
    const body = await read;
    expect(body.length).toBe(36_000);
  });

  it('times out a body that starts fast and then stalls, by the bytes it sent', async () => {
    const stream = new PassThrough();
    const read = readCapped(stream, 1 << 20, 'request body', { pace: PACE });
    const failed = rejectionOf(read);
    stream.write(Buffer.alloc(5000, 1)); // buys 5 s on top of the base
    await vi.advanceTimersByTimeAsync(6900);
    expect(stream.isPaused()).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(await failed).toBeInstanceOf(RequestTimeoutError);
  });

  it('keeps the size cap, with or without a pace', async () => {
    const stream = new PassThrough();
    const read = readCapped(stream, 10, 'request body', { pace: PACE });
    stream.write(Buffer.alloc(11));
    await expect(read).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('has no time limit without a pace', async () => {
    const stream = new PassThrough();
    const read = readCapped(stream, 100, 'gzip-decompressed body');
    await vi.advanceTimersByTimeAsync(3_600_000);
    stream.end(Buffer.from('late'));
    expect(Buffer.from(await read).toString()).toBe('late');
  });

  it('passes on a stream error, and fails a stream that closes before its end', async () => {
    const broken = new PassThrough();
    const read = readCapped(broken, 100, 'request body', { pace: PACE });
    broken.destroy(new Error('aborted'));
    await expect(read).rejects.toThrow('aborted');

    const closed = new PassThrough({ emitClose: true });
    const cut = readCapped(closed, 100, 'request body', { pace: PACE });
    closed.destroy();
    await expect(cut).rejects.toThrow(
      'cannot read request body: the stream closed before its end'
    );
  });
});

describe('readBody()', () => {
  it('times a body out by the limits it is given', async () => {
    vi.useFakeTimers();
    try {
      const stream = new PassThrough();
      const read = readBody(stream, undefined, {
        maxBodyBytes: 1000,
        maxDecompressedBytes: 1000,
        bodyTimeoutMs: 500,
        minBodyBytesPerSecond: 100,
      });
      const failed = rejectionOf(read);
      await vi.advanceTimersByTimeAsync(501);
      expect(await failed).toBeInstanceOf(RequestTimeoutError);
    } finally {
      vi.useRealTimers();
    }
  });
});
