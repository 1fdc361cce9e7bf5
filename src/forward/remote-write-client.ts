/**
 * The HTTP side of forwarding to one remote write 1.0 downstream: one POST of
 * an already encoded, already compressed WriteRequest, classified into an
 * ExportResult. It owns no queue and no retry loop.
 *
 * Request headers follow PROTOCOLS.md §2.1. The reserved ones (Content-Type,
 * Content-Encoding, User-Agent, X-Prometheus-Remote-Write-Version) cannot be
 * overridden by configured headers, as the spec requires of senders.
 */
import { Buffer } from 'node:buffer';
import type { RemoteWriteTargetConfig } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { downstreamNameOf } from './downstream-name.js';
import type { ExportResult } from './export-result.js';
import { HttpExportClient } from './http-export-client.js';

export { RESPONSE_BODY_LOG_BYTES } from './http-export-client.js';

const RESERVED_HEADERS = new Set([
  'content-type',
  'content-encoding',
  'user-agent',
  'x-prometheus-remote-write-version',
]);

/** The client's view of a target (RemoteWriteTargetConfig satisfies it). */
export type RemoteWriteClientConfig = Pick<
  RemoteWriteTargetConfig,
  'url' | 'name' | 'headers' | 'bearer_token' | 'basic_auth' | 'timeout'
>;

export interface RemoteWriteClientDeps {
  /** fleetgate's version, sent as `User-Agent: fleetgate/<version>`. */
  readonly version: string;
  /** Defaults to the global fetch (undici); tests inject their own. */
  readonly fetch?: typeof globalThis.fetch;
  /** Unix time in ms, for Retry-After HTTP-dates. */
  readonly now?: () => number;
}

export class RemoteWriteClient {
  /** The `downstream` label value: config name, or the URL's host and path. */
  readonly downstream: string;
  // The POST and its classification, shared with the log forwarders.
  private readonly _http: HttpExportClient;

  constructor(config: RemoteWriteClientConfig, deps: RemoteWriteClientDeps) {
    this.downstream = downstreamNameOf(config);

    // fetch refuses URLs with userinfo; move it into basic auth.
    const url = new URL(config.url);
    let basicAuth = config.basic_auth;
    if (url.username !== '' || url.password !== '') {
      basicAuth ??= {
        username: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
      };
      url.username = '';
      url.password = '';
    }
    if (config.bearer_token !== undefined && basicAuth !== undefined) {
      throw new ConfigError(
        `cannot configure remote write target ${this.downstream}: set bearer_token or basic_auth, not both`,
        ['forward.remote_write.bearer_token']
      );
    }

    // Built once and validated now: a bad header value fails at startup, not per send.
    const headers = new Headers();
    for (const [name, value] of Object.entries(config.headers)) {
      if (!RESERVED_HEADERS.has(name.toLowerCase())) headers.set(name, value);
    }
    if (config.bearer_token !== undefined) {
      headers.set('Authorization', `Bearer ${config.bearer_token}`);
    } else if (basicAuth !== undefined) {
      const credentials = Buffer.from(
        `${basicAuth.username}:${basicAuth.password}`,
        'utf8'
      );
      headers.set('Authorization', `Basic ${credentials.toString('base64')}`);
    }
    headers.set('Content-Encoding', 'snappy');
    headers.set('Content-Type', 'application/x-protobuf');
    headers.set('User-Agent', `fleetgate/${deps.version}`);
    headers.set('X-Prometheus-Remote-Write-Version', '0.1.0');
    this._http = new HttpExportClient({
      url: url.href,
      headers,
      timeoutMs: config.timeout,
      downstream: this.downstream,
      fetch: deps.fetch,
      now: deps.now,
    });
  }

  /**
   * POSTs one snappy-compressed WriteRequest. Never throws: every outcome,
   * network errors and timeouts included, comes back as an ExportResult.
   * `signal` aborts the request (a stop that ran out of drain time); the
   * configured timeout applies as well.
   */
  send(body: Uint8Array, signal?: AbortSignal): Promise<ExportResult> {
    return this._http.send(body, signal);
  }
}
