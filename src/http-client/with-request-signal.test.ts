import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { withRequestSignal } from './with-request-signal.js';

/** A request that settles only when its signal aborts, with the abort reason. */
function untilAborted(signal: AbortSignal): Promise<unknown> {
  return new Promise(resolve => {
    signal.addEventListener('abort', () => resolve(signal.reason), {
      once: true,
    });
  });
}

describe('withRequestSignal', () => {
  it('aborts with a TimeoutError at the timeout when there is no stop signal', async () => {
    const reason = await withRequestSignal(20, undefined, untilAborted);
    expect(reason).toBeInstanceOf(DOMException);
    expect((reason as DOMException).name).toBe('TimeoutError');
  });

  it('aborts with a TimeoutError at the timeout when the stop signal stays quiet', async () => {
    const stop = new AbortController();
    const reason = await withRequestSignal(20, stop.signal, untilAborted);
    expect((reason as DOMException).name).toBe('TimeoutError');
  });

  it('aborts with the stop reason when stop aborts first', async () => {
    const stop = new AbortController();
    const pending = withRequestSignal(60_000, stop.signal, untilAborted);
    stop.abort(new Error('shutting down'));
    await expect(pending).resolves.toEqual(new Error('shutting down'));
  });

  it('starts aborted when the stop signal already is', async () => {
    const stop = new AbortController();
    stop.abort(new Error('stopped before'));
    let abortedAtStart: boolean | undefined;
    await withRequestSignal(60_000, stop.signal, async signal => {
      abortedAtStart = signal.aborted;
    });
    expect(abortedAtStart).toBe(true);
  });

  it('leaves no listener on the stop signal once the request is over', async () => {
    const stop = new AbortController();
    await expect(
      withRequestSignal(60_000, stop.signal, async () => 'answered')
    ).resolves.toBe('answered');
    await expect(
      withRequestSignal(60_000, stop.signal, async () => {
        throw new Error('refused');
      })
    ).rejects.toThrow('refused');
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });
});
