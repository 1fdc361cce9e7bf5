/**
 * A real log receiver for forwarding tests: a node:http server on
 * 127.0.0.1, port 0, that records every request (headers, raw body) and
 * answers as scripted. Bodies are decoded on demand:
 * - `lokiStreams()`: snappy, then the protobufjs reference (loki-reference.ts);
 * - `otlpBatch()`: gunzip when so encoded, then the gateway's OTLP decoder.
 * Test-only; it keeps everything it receives.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { snappyUncompress } from '../../src/protocol/index.js';
import { decodeLogsProtobuf } from '../../src/protocol/index.js';
import type { LogBatch } from '../../src/model/index.js';
import {
  referenceDecodeLokiPush,
  type ReferenceLokiStream,
} from './loki-reference.js';

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface LogSinkRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The status answered (0 when the socket was cut or never answered). */
  status: number;
}

/** How to answer one request: a status (with headers and body), cut the socket, or never answer. */
export type LogSinkReply =
  | {
      readonly status: number;
      readonly headers?: Record<string, string>;
      readonly body?: string;
    }
  | 'destroy'
  | 'hang';

export class LogSink {
  readonly requests: LogSinkRequest[] = [];
  url = '';
  private readonly _server: Server;
  private readonly _replies: LogSinkReply[] = [];
  private readonly _hanging: ServerResponse[] = [];
  private _waiters: { count: number; resolve: () => void }[] = [];

  private constructor(path: string) {
    this._server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: LogSinkRequest = {
          headers: req.headers,
          body: Buffer.concat(chunks),
          status: 0,
        };
        this.requests.push(request);
        const reply = this._replies.shift() ?? { status: 204 };
        if (reply === 'destroy') {
          req.socket.destroy();
        } else if (reply === 'hang') {
          this._hanging.push(res);
        } else {
          request.status = reply.status;
          res.writeHead(reply.status, reply.headers ?? {});
          res.end(reply.body ?? '');
        }
        this._notify();
      });
    });
    this.url = path;
  }

  /** Starts a sink; its `url` ends with `path` (e.g. `/loki/api/v1/push`). */
  static async start(path = '/loki/api/v1/push'): Promise<LogSink> {
    const sink = new LogSink(path);
    await new Promise<void>(resolve =>
      sink._server.listen(0, '127.0.0.1', resolve)
    );
    const port = (sink._server.address() as AddressInfo).port;
    sink.url = `http://127.0.0.1:${port}${path}`;
    return sink;
  }

  /** Queues answers for the next requests (then 204 again). */
  reply(...replies: LogSinkReply[]): void {
    this._replies.push(...replies);
  }

  /** Resolves once at least `count` requests have arrived. */
  waitForRequests(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise(resolve => this._waiters.push({ count, resolve }));
  }

  /** Requests the sink accepted (2xx). */
  accepted(): LogSinkRequest[] {
    return this.requests.filter(r => r.status >= 200 && r.status < 300);
  }

  /** The Loki streams of one request. */
  static lokiStreams(request: LogSinkRequest): ReferenceLokiStream[] {
    return referenceDecodeLokiPush(
      snappyUncompress(request.body, MAX_BODY_BYTES)
    );
  }

  /** The OTLP batch of one request. */
  static otlpBatch(request: LogSinkRequest): LogBatch {
    const body =
      request.headers['content-encoding'] === 'gzip'
        ? gunzipSync(request.body)
        : request.body;
    return decodeLogsProtobuf(body);
  }

  async close(): Promise<void> {
    for (const res of this._hanging) res.destroy();
    this._server.closeAllConnections();
    await new Promise<void>(resolve => this._server.close(() => resolve()));
  }

  private _notify(): void {
    const ready = this._waiters.filter(w => this.requests.length >= w.count);
    this._waiters = this._waiters.filter(w => this.requests.length < w.count);
    for (const w of ready) w.resolve();
  }
}
