/**
 * Runs one request under a signal that aborts at `timeoutMs` or when `stop`
 * aborts (a shutdown that ran out of drain time), whichever comes first; the
 * abort reason is the one that fired (a TimeoutError, or `stop.reason`).
 *
 * Composed by hand rather than with AbortSignal.any, so nothing keeps a
 * listener on the caller's long-lived stop signal once the request is over.
 */
export async function withRequestSignal<T>(
  timeoutMs: number,
  stop: AbortSignal | undefined,
  request: (signal: AbortSignal) => Promise<T>
): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  if (stop === undefined) return request(timeout);
  const controller = new AbortController();
  const onTimeout = (): void => controller.abort(timeout.reason);
  const onStop = (): void => controller.abort(stop.reason);
  if (stop.aborted) onStop();
  timeout.addEventListener('abort', onTimeout, { once: true });
  stop.addEventListener('abort', onStop, { once: true });
  try {
    return await request(controller.signal);
  } finally {
    timeout.removeEventListener('abort', onTimeout);
    stop.removeEventListener('abort', onStop);
  }
}
