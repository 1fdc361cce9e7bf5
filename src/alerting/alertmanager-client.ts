/**
 * One Alertmanager's v2 alerts endpoint (PROTOCOLS.md §2.16): one POST of a
 * JSON array of postable alerts, classified into an AlertPostResult. It owns
 * no retry loop; AlertNotifier retries.
 *
 * Alertmanager answers 200, 400 (an alert it cannot take) or 500. A proxy in
 * front may add 429 and 502/503/504; every 5xx and 429 is retried, any other
 * status is final.
 */
import { Buffer } from 'node:buffer';
import { UpstreamError } from '../errors.js';
import { classifyResponse, withRequestSignal } from '../http-client/index.js';
import type { AlertPostResult } from './alert-post-result.js';
import type { PostableAlert } from './postable-alert.js';

/** The API path below an Alertmanager's base URL (which may carry a route prefix). */
export const ALERTS_API_PATH = '/api/v2/alerts';
/** Default timeout of one POST. */
export const DEFAULT_ALERTMANAGER_TIMEOUT_MS = 10_000;
/** Response body characters kept for a log line. */
export const ALERTMANAGER_RESPONSE_LOG_CHARS = 512;

export interface AlertmanagerClientOptions {
  /** Timeout of one POST in ms (default DEFAULT_ALERTMANAGER_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** Defaults to the global fetch (undici); tests inject their own. */
  readonly fetch?: typeof globalThis.fetch;
  /** Unix time in ms, for Retry-After HTTP-dates. */
  readonly now?: () => number;
}

/**
 * The `alertmanager` label value of a base URL: host and path, without
 * scheme, credentials or trailing slash (`127.0.0.1:9093`, `am:9093/alertmanager`).
 */
export function alertmanagerNameOf(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

export class AlertmanagerClient {
  /** The `alertmanager` label value (alertmanagerNameOf). */
  readonly name: string;
  /** The endpoint posted to: the base URL plus ALERTS_API_PATH. */
  readonly url: string;
  private readonly _headers: Headers;
  private readonly _timeoutMs: number;
  private readonly _fetch: typeof globalThis.fetch;
  private readonly _now: () => number;

  /**
   * `baseUrl` is the Alertmanager's URL as in `alerting.alertmanagers`
   * (`http://127.0.0.1:9093`, or with its `--web.route-prefix`). Credentials
   * in it become a Basic Authorization header (fetch refuses userinfo).
   * Throws a TypeError when it is not a URL.
   */
  constructor(baseUrl: string, options: AlertmanagerClientOptions = {}) {
    this.name = alertmanagerNameOf(baseUrl);
    const url = new URL(baseUrl);
    this._headers = new Headers({
      'Content-Type': 'application/json',
      Accept: 'application/json',
    });
    if (url.username !== '' || url.password !== '') {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      this._headers.set(
        'Authorization',
        `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`
      );
      url.username = '';
      url.password = '';
    }
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${ALERTS_API_PATH}`;
    url.search = '';
    url.hash = '';
    this.url = url.toString();
    this._timeoutMs = options.timeoutMs ?? DEFAULT_ALERTMANAGER_TIMEOUT_MS;
    this._fetch = options.fetch ?? globalThis.fetch;
    this._now = options.now ?? Date.now;
  }

  /**
   * POSTs `alerts` as one JSON array. Never throws: network errors, timeouts
   * and an abort through `signal` come back as a retryable result.
   */
  async post(
    alerts: readonly PostableAlert[],
    signal?: AbortSignal
  ): Promise<AlertPostResult> {
    return withRequestSignal(this._timeoutMs, signal, requestSignal =>
      this._post(alerts, requestSignal)
    );
  }

  private async _post(
    alerts: readonly PostableAlert[],
    signal: AbortSignal
  ): Promise<AlertPostResult> {
    let res: Response;
    let body: string;
    try {
      res = await this._fetch(this.url, {
        method: 'POST',
        headers: this._headers,
        body: JSON.stringify(alerts),
        signal,
      });
      // Alertmanager's answers are a few bytes (an error message at most);
      // reading them whole also frees the keep-alive connection.
      body = await res.text();
    } catch (err) {
      return {
        status: 'retryable',
        httpStatus: undefined,
        error: new UpstreamError(
          `cannot post ${alerts.length} alerts to alertmanager ${this.name}: ${(err as Error).message}`,
          { cause: err }
        ),
      };
    }
    const excerpt = body.slice(0, ALERTMANAGER_RESPONSE_LOG_CHARS).trim();
    return classifyResponse(
      res,
      excerpt,
      () =>
        new UpstreamError(
          `cannot post ${alerts.length} alerts to alertmanager ${this.name}: HTTP ${res.status}${excerpt === '' ? '' : `: ${excerpt}`}`
        ),
      this._now
    );
  }
}
