/**
 * Raw TCP connections to a gateway, for tests of its connection bounds: each
 * remembers when it opened, what the server sent and when the server closed
 * it, from a chosen local address (127.0.0.1, 127.0.0.2, ... are all loopback
 * on Linux, so one machine plays several sources). A `ConnectionPool` owns
 * every socket a test opens and destroys them all in `destroyAll()`.
 *
 * Nothing here imports vitest.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { LOOPBACK_HOST } from './free-port.js';

/** One raw connection and what happened to it. */
export interface RawConnection {
  readonly socket: Socket;
  readonly localAddress: string;
  /** Date.now() when the handshake completed. */
  readonly openedAtMs: number;
  /** Date.now() when the socket closed, undefined while it is open. */
  closedAtMs: number | undefined;
  /** Whether the close came from the server (not from `destroyAll`). */
  closedByServer: boolean;
  /** Everything the server sent, as latin1 text. */
  received: string;
  /** Resolves when the socket closes, for whatever reason. */
  readonly closed: Promise<void>;
}

/** Every raw socket of a test, so the test can close all of them at the end. */
export class ConnectionPool {
  private readonly _connections = new Set<RawConnection>();
  private _isDestroying = false;
  private readonly _trickles = new Set<NodeJS.Timeout>();

  /** Connections opened so far, open or closed. */
  get all(): readonly RawConnection[] {
    return [...this._connections];
  }

  /** Opens one connection to `port` from `localAddress`; resolves once connected. */
  open(port: number, localAddress: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: LOOPBACK_HOST, port, localAddress });
      let resolveClosed: () => void = () => undefined;
      const closed = new Promise<void>(r => {
        resolveClosed = r;
      });
      const entry: RawConnection = {
        socket,
        localAddress,
        openedAtMs: 0,
        closedAtMs: undefined,
        closedByServer: false,
        received: '',
        closed,
      };
      // A refused connection is reset: that is an outcome here, not a failure.
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        entry.received += chunk.toString('latin1');
      });
      socket.once('close', () => {
        entry.closedAtMs = Date.now();
        entry.closedByServer = !this._isDestroying;
        resolveClosed();
      });
      socket.once('connect', () => {
        (entry as { openedAtMs: number }).openedAtMs = Date.now();
        this._connections.add(entry);
        resolve(entry);
      });
      socket.once('close', () => {
        if (entry.openedAtMs === 0)
          reject(
            new Error(`cannot connect to port ${port} from ${localAddress}`)
          );
      });
    });
  }

  /** Opens `count` connections, `batch` handshakes at a time (the listen backlog is finite). */
  async openMany(
    port: number,
    localAddress: string,
    count: number,
    batch = 200
  ): Promise<RawConnection[]> {
    const out: RawConnection[] = [];
    for (let done = 0; done < count; done += batch) {
      const size = Math.min(batch, count - done);
      const opened = await Promise.all(
        Array.from({ length: size }, () => this.open(port, localAddress))
      );
      out.push(...opened);
    }
    return out;
  }

  /**
   * Writes `head` to each connection now, then one byte of `filler` to each
   * still-open one every `everyMs`, until it closes or `destroyAll()`. One
   * timer serves them all.
   */
  trickle(
    connections: readonly RawConnection[],
    head: string,
    filler: string,
    everyMs: number
  ): void {
    for (const c of connections) c.socket.write(head);
    const timer = setInterval(() => {
      for (const c of connections)
        if (c.closedAtMs === undefined && c.socket.writable)
          c.socket.write(filler);
    }, everyMs);
    this._trickles.add(timer);
  }

  /** Stops every trickle and destroys every socket; resolves when all are closed. */
  async destroyAll(): Promise<void> {
    this._isDestroying = true;
    for (const timer of this._trickles) clearInterval(timer);
    this._trickles.clear();
    for (const c of this._connections) c.socket.destroy();
    await Promise.all([...this._connections].map(c => c.closed));
    this._connections.clear();
    this._isDestroying = false;
  }
}

/** A whole HTTP exchange: the status and body, or status 0 with `error`. */
export interface ExchangeOutcome {
  readonly status: number;
  readonly body: string;
  readonly error?: string;
}

export interface ExchangeOptions {
  readonly port: number;
  readonly localAddress: string;
  readonly method?: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  readonly timeoutMs?: number;
}

/**
 * One request on its own connection from `localAddress` (no pooling, so the
 * test controls how many connections it holds). Resolves after the
 * connection has closed, so the server no longer counts it; never rejects.
 */
export function exchange(options: ExchangeOptions): Promise<ExchangeOutcome> {
  return new Promise(resolve => {
    let outcome: ExchangeOutcome | undefined;
    const req = request({
      host: LOOPBACK_HOST,
      port: options.port,
      localAddress: options.localAddress,
      method: options.method ?? 'GET',
      path: options.path,
      headers: { ...options.headers, Connection: 'close' },
      agent: false,
      timeout: options.timeoutMs ?? 10_000,
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('socket', socket => {
      socket.once('close', () => {
        resolve(outcome ?? { status: 0, body: '', error: 'closed' });
      });
    });
    req.on('response', res => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        outcome = {
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
        };
      });
    });
    req.on('error', err => {
      outcome ??= { status: 0, body: '', error: err.message };
    });
    req.end(options.body);
  });
}
