/**
 * An in-process stand-in for Alertmanager's `POST /api/v2/alerts` in unit
 * tests: a node:http server on 127.0.0.1, port 0, that keeps every request
 * and answers as scripted (200 by default). Test-only.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PostableAlert } from '../../src/alerting/postable-alert.js';

/** One request the fake received. */
export interface FakeAlertmanagerRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON (the alerts), or the raw text if it is not JSON. */
  readonly alerts: PostableAlert[];
  readonly rawBody: string;
  /** The status answered (0 when the socket was cut or never answered). */
  status: number;
}

/** How to answer one request: a status (with headers and body), cut the socket, or never answer. */
export type FakeAlertmanagerReply =
  | {
      readonly status: number;
      readonly headers?: Record<string, string>;
      readonly body?: string;
    }
  | 'destroy'
  | 'hang';

export class FakeAlertmanager {
  /** Every request, in arrival order. */
  readonly requests: FakeAlertmanagerRequest[] = [];
  private readonly _server: Server;
  private readonly _script: FakeAlertmanagerReply[] = [];
  private readonly _hanging: ServerResponse[] = [];
  private _default: FakeAlertmanagerReply = { status: 200 };

  private constructor() {
    this._server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        let alerts: PostableAlert[] = [];
        try {
          alerts = JSON.parse(rawBody) as PostableAlert[];
        } catch {
          // kept as rawBody
        }
        const request: FakeAlertmanagerRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          alerts,
          rawBody,
          status: 0,
        };
        this.requests.push(request);
        const reply = this._script.shift() ?? this._default;
        if (reply === 'destroy') {
          req.socket.destroy();
          return;
        }
        if (reply === 'hang') {
          this._hanging.push(res);
          return;
        }
        request.status = reply.status;
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body ?? '');
      });
    });
  }

  /** Starts a fake on a free loopback port. */
  static async start(): Promise<FakeAlertmanager> {
    const fake = new FakeAlertmanager();
    await new Promise<void>((resolve, reject) => {
      fake._server.once('error', reject);
      fake._server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    const { port } = this._server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Answers the next requests with `replies`, in order, then with the default. */
  reply(...replies: FakeAlertmanagerReply[]): void {
    this._script.push(...replies);
  }

  /** The answer once the script is used up (200 unless set). */
  replyByDefault(reply: FakeAlertmanagerReply): void {
    this._default = reply;
  }

  /** Every alert received, in order, across requests. */
  alerts(): PostableAlert[] {
    return this.requests.flatMap(r => r.alerts);
  }

  async close(): Promise<void> {
    for (const res of this._hanging) res.destroy();
    this._server.closeAllConnections();
    await new Promise<void>(resolve => this._server.close(() => resolve()));
  }
}
