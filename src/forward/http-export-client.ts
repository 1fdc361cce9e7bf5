/**
 * One POST of an already encoded (and compressed) body to a downstream,
 * classified into an ExportResult (STYLE rule 12): 2xx success; 429, 5xx,
 * network errors and timeouts retryable (with the response's Retry-After);
 * any other status a failure, with the first bytes of the response body,
 * where receivers explain a refusal. It owns no queue and no retry loop.
 *
 * Shared by every forwarding protocol: remote write (RemoteWriteClient),
 * Loki push and OTLP/HTTP logs. Each builds its own headers once.
 */
import { UpstreamError } from '../errors.js';
import type { ExportResult } from './export-result.js';
import { classifyResponse, withRequestSignal } from '../http-client/index.js';

/** The response body bytes kept for a log line: receivers explain refusals there. */
export const RESPONSE_BODY_LOG_BYTES = 512;
// A body past this is not read to its end: cancelling costs the keep-alive
// connection, reading costs memory and time for text nobody logs.
const MAX_DRAINED_BODY_BYTES = 64 * 1024;

const utf8 = new TextDecoder();

export interface HttpExportClientOptions {
  /** The endpoint, without userinfo (fetch refuses it). */
  readonly url: string;
  /** Sent with every request; built and validated once by the caller. */
  readonly headers: Headers;
  readonly timeoutMs: number;
  /** The `downstream` name, for error messages. */
  readonly downstream: string;
  /** Defaults to the global fetch (undici); tests inject their own. */
  readonly fetch?: typeof globalThis.fetch | undefined;
  /** Unix time in ms, for Retry-After HTTP-dates. */
  readonly now?: (() => number) | undefined;
}

export class HttpExportClient {
  readonly downstream: string;
  private readonly _url: string;
  private readonly _headers: Headers;
  private readonly _timeoutMs: number;
  private readonly _fetch: typeof globalThis.fetch;
  private readonly _now: () => number;

  constructor(options: HttpExportClientOptions) {
    this.downstream = options.downstream;
    this._url = options.url;
    this._headers = options.headers;
    this._timeoutMs = options.timeoutMs;
    this._fetch = options.fetch ?? globalThis.fetch;
    this._now = options.now ?? Date.now;
  }

  /**
   * POSTs `body`. Never throws: every outcome, network errors and timeouts
   * included, comes back as an ExportResult. `signal` aborts the request (a
   * stop that ran out of drain time); the configured timeout applies as well.
   */
  async send(body: Uint8Array, signal?: AbortSignal): Promise<ExportResult> {
    return withRequestSignal(this._timeoutMs, signal, requestSignal =>
      this._send(body, requestSignal)
    );
  }

  private async _send(
    body: Uint8Array,
    signal: AbortSignal
  ): Promise<ExportResult> {
    let response: Response;
    try {
      response = await this._fetch(this._url, {
        method: 'POST',
        headers: this._headers,
        body,
        signal,
      });
    } catch (err) {
      return {
        status: 'retryable',
        reason: 'network',
        httpStatus: undefined,
        error: new UpstreamError(
          `cannot forward to ${this.downstream}: ${describeFetchError(err, this._timeoutMs)}`,
          { cause: err }
        ),
      };
    }

    const responseBody = await readBodyHead(response, RESPONSE_BODY_LOG_BYTES);
    const result = classifyResponse(
      response,
      responseBody,
      () =>
        new UpstreamError(
          `cannot forward to ${this.downstream}: HTTP ${response.status}: ${responseBody.trim()}`
        ),
      this._now
    );
    if (result.status !== 'retryable') return result;
    return { ...result, reason: response.status === 429 ? '429' : '5xx' };
  }
}

/**
 * Reads the body to its end (so the connection is reused) and returns its
 * first `keepBytes` as text. Errors while reading do not change the outcome:
 * the status line already said what happened.
 */
async function readBodyHead(
  response: Response,
  keepBytes: number
): Promise<string> {
  const stream = response.body;
  if (stream === null) return '';
  const kept = new Uint8Array(keepBytes);
  let keptBytes = 0;
  let readBytes = 0;
  // fetch's body is typed ReadableStream<any>; its chunks are bytes.
  const reader = (stream as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (keptBytes < keepBytes) {
        const take = Math.min(keepBytes - keptBytes, value.byteLength);
        kept.set(value.subarray(0, take), keptBytes);
        keptBytes += take;
      }
      readBytes += value.byteLength;
      if (readBytes > MAX_DRAINED_BODY_BYTES) {
        await reader.cancel();
        break;
      }
    }
  } catch {
    // A body cut short (reset, timeout) after the status: keep what arrived.
  }
  return utf8.decode(kept.subarray(0, keptBytes));
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError')
      return `no response within ${timeoutMs} ms`;
    if (err.name === 'AbortError') return 'request aborted';
    // undici reports "fetch failed" and puts the socket error in `cause`.
    const cause: unknown = err.cause;
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      return typeof code === 'string'
        ? `${err.message}: ${code}: ${cause.message}`
        : `${err.message}: ${cause.message}`;
    }
    return err.message;
  }
  return String(err);
}
