/**
 * Degraded mode of the Redis-backed state (RedisStateStore, RedisEventLog),
 * in one place: per call, whether Redis or the owner's local fallback
 * answers, and the health that follows from it (docs/architecture.md "State": a Redis
 * outage never stops ingestion).
 *
 * - Until the client is first ready, calls wait: at most `connectGraceMs`,
 *   and not at all once the first connection was refused. A replica that
 *   just started would otherwise answer locally for no reason.
 * - A call runs against Redis within `commandTimeoutMs` + 250 ms. When the
 *   client is not ready, or the call fails or misses that deadline, the
 *   local fallback answers, `health()` turns degraded with the reason and
 *   `onHealthChange` fires once per change of `degraded`.
 * - While degraded, calls go local until the client is ready again, and at
 *   most once per PROBE_INTERVAL_MS one call probes Redis: timeouts leave
 *   the connection up, so no 'ready' event would ever end them.
 * - When Redis is back (its 'ready' event or a successful probe) the gate
 *   runs the owner's `recover`, which replays what the fallback recorded
 *   and calls `markHealthy()`. Calls made before that go local.
 *
 * The client must have no offline queue (createRedisClient's has none), or
 * calls would queue while Redis is away instead of failing fast.
 */
import { performance } from 'node:perf_hooks';
import { Cluster, Redis, type ClusterNode } from 'ioredis';
import type { StoreHealth } from './state-store.js';

/** ioredis `commandTimeout` unless `commandTimeoutMs` is given. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 500;
/** How long early calls wait for the first connection, by default. */
export const DEFAULT_CONNECT_GRACE_MS = 1000;
/** Extra time on top of the command timeout before a call gives up on Redis. */
const CALL_DEADLINE_SLACK_MS = 250;
/** While degraded with the connection up, one call per interval tries Redis. */
const PROBE_INTERVAL_MS = 1000;
const CONNECT_TIMEOUT_MS = 2000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 2000;
const QUIT_TIMEOUT_MS = 1000;

const HEALTHY: StoreHealth = Object.freeze({ degraded: false });

/** A connection of either kind. */
export type RedisClient = Redis | Cluster;

/** What the gate uses of a connection; ioredis' Redis and Cluster both fit. */
export interface GatedClient {
  readonly status: string;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** Degraded-mode options that RedisStateStore and RedisEventLog both take. */
export interface RedisHealthSettings {
  /** Redis command timeout; a call's deadline is this plus 250 ms. Default 500. */
  readonly commandTimeoutMs?: number;
  /** How long calls wait for the first connection before going local. Default 1000. */
  readonly connectGraceMs?: number;
  /** Called once per change of `health().degraded`, with the new health. */
  readonly onHealthChange?: (health: StoreHealth) => void;
}

export interface RedisHealthGateOptions {
  /** The connection whose health the gate follows. */
  readonly client: GatedClient;
  /** Whether `close()` quits the client (false for a shared connection). */
  readonly ownsClient: boolean;
  /** The owner's options (only these fields are read). */
  readonly settings: RedisHealthSettings;
  /**
   * Replays what the local fallback recorded during the outage and calls
   * `markHealthy()` once Redis holds all of it (calls use Redis from then
   * on, so nothing may be awaited between the last check and the mark).
   * Rejects to stay degraded; the next 'ready' or probe tries again.
   */
  readonly recover: (markHealthy: () => void) => Promise<void>;
  /** Monotonic clock in ms, for the probe interval. Default performance.now. */
  readonly nowMs?: () => number;
}

/** Routes each call to Redis or to a local fallback, and keeps the health. */
export class RedisHealthGate {
  /** Deadline of one call in ms: the command timeout plus 250 ms. */
  readonly callDeadlineMs: number;

  private readonly _client: GatedClient;
  private readonly _ownsClient: boolean;
  private readonly _onHealthChange: ((health: StoreHealth) => void) | undefined;
  private readonly _recover: (markHealthy: () => void) => Promise<void>;
  private readonly _nowMs: () => number;
  private _health: StoreHealth = HEALTHY;
  private _lastError: string | undefined;
  /** `_nowMs()` before which a degraded gate does not try Redis. */
  private _probeAtMs = 0;
  private _isRecovering = false;
  private _isClosed = false;
  private _hasBeenReady = false;
  private _isGraceOver = false;
  private readonly _startup: Promise<void>;
  private _endStartup: () => void = () => {};
  private readonly _graceTimer: NodeJS.Timeout;
  private readonly _listeners: [string, (...args: unknown[]) => void][] = [];

  constructor(options: RedisHealthGateOptions) {
    this._client = options.client;
    this._ownsClient = options.ownsClient;
    const { settings } = options;
    this.callDeadlineMs =
      (settings.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS) +
      CALL_DEADLINE_SLACK_MS;
    this._onHealthChange = settings.onHealthChange;
    this._recover = options.recover;
    this._nowMs = options.nowMs ?? (() => performance.now());

    this._startup = new Promise(resolve => {
      this._endStartup = resolve;
    });
    this._graceTimer = setTimeout(() => {
      this._isGraceOver = true;
      this._endStartup();
    }, settings.connectGraceMs ?? DEFAULT_CONNECT_GRACE_MS);
    this._graceTimer.unref();
    // A shared connection may be up already; it will not say 'ready' again.
    if (this._client.status === 'ready') this._markReady();

    this._listen('ready', () => {
      this._markReady();
      if (this._health.degraded && !this._isClosed) void this._startRecovery();
    });
    this._listen('error', (err: unknown) => {
      this._lastError = describeError(err);
      if (this._client.status !== 'ready') this._degrade(this._lastError);
    });
    // Redis Cluster only: a node's failure is the reason of what follows.
    this._listen('node error', (err: unknown) => {
      this._lastError = describeError(err);
    });
    this._listen('close', () => {
      this._degrade(this._lastError ?? 'redis: connection closed');
      // Refused at startup: stop holding calls back for the grace period.
      if (!this._hasBeenReady) this._endGrace();
    });
  }

  health(): StoreHealth {
    return this._health;
  }

  /**
   * Runs `remote` within the call deadline, or `local` when Redis is
   * unusable or `remote` fails. Rejects only when `local` does.
   */
  async call<T>(remote: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    if (!this._hasBeenReady && !this._isGraceOver) await this._startup;
    if (!this._isRedisUsable()) return local();
    let result: T;
    try {
      result = await withDeadline(remote(), this.callDeadlineMs);
    } catch (err) {
      this._degrade(describeError(err));
      return local();
    }
    // A probe got through: Redis is back.
    if (this._health.degraded) void this._startRecovery();
    return result;
  }

  /**
   * Stops following the client: removes the listeners, then quits an owned
   * client (waits at most QUIT_TIMEOUT_MS, then drops it). Idempotent.
   */
  async close(): Promise<void> {
    if (this._isClosed) return;
    this._isClosed = true;
    clearTimeout(this._graceTimer);
    for (const [event, listener] of this._listeners)
      this._client.off(event, listener);
    // Calls still waiting for the first connection answer locally, not never.
    this._endGrace();
    if (!this._ownsClient) return;
    if (this._client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          this._client.quit(),
          new Promise(resolve => {
            timer = setTimeout(resolve, QUIT_TIMEOUT_MS);
            timer.unref();
          }),
        ]);
      } catch {
        // Quitting a connection that is going away anyway.
      } finally {
        clearTimeout(timer);
      }
    }
    this._client.disconnect();
  }

  private _isRedisUsable(): boolean {
    if (this._isClosed || this._isRecovering) return false;
    if (this._client.status !== 'ready') {
      this._degrade(
        this._lastError ?? `redis: not connected (${this._client.status})`
      );
      return false;
    }
    return !this._health.degraded || this._nowMs() >= this._probeAtMs;
  }

  /** Runs the owner's `recover` unless one runs already. */
  private async _startRecovery(): Promise<void> {
    if (this._isRecovering || this._isClosed) return;
    this._isRecovering = true;
    let isMarked = false;
    const markHealthy = (): void => {
      if (isMarked) return;
      isMarked = true;
      // Cleared first: calls from here on use Redis.
      this._isRecovering = false;
      this._setHealthy();
    };
    try {
      await this._recover(markHealthy);
    } catch (err) {
      // Once marked, the flag may belong to a newer recovery. (markHealthy
      // sets isMarked during the await; narrowing cannot see that.)
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (!isMarked) this._isRecovering = false;
      this._degrade(describeError(err));
      return;
    }
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- as above
    if (!isMarked) this._isRecovering = false;
  }

  private _markReady(): void {
    this._hasBeenReady = true;
    clearTimeout(this._graceTimer);
    this._endStartup();
  }

  private _endGrace(): void {
    this._isGraceOver = true;
    this._endStartup();
  }

  private _listen(event: string, listener: (...args: unknown[]) => void): void {
    this._client.on(event, listener);
    this._listeners.push([event, listener]);
  }

  private _degrade(reason: string): void {
    if (this._isClosed) return;
    this._probeAtMs = this._nowMs() + PROBE_INTERVAL_MS;
    const wasDegraded = this._health.degraded;
    this._health = Object.freeze({ degraded: true, reason });
    if (!wasDegraded) this._notify();
  }

  private _setHealthy(): void {
    if (!this._health.degraded) return;
    this._health = HEALTHY;
    this._lastError = undefined;
    this._notify();
  }

  private _notify(): void {
    if (this._onHealthChange === undefined) return;
    try {
      this._onHealthChange(this._health);
    } catch {
      // An observer's failure must not break the store or log.
    }
  }
}

/**
 * A client with the settings the gate relies on: no offline queue, one
 * retry and short timeouts, so a call fails fast while Redis is away, and
 * reconnects forever with jittered backoff. A Redis Cluster when
 * `clusterNodes` is non-empty (it wins over `url`); undefined when neither
 * is given.
 */
export function createRedisClient(connection: {
  readonly url?: string;
  readonly clusterNodes?: readonly string[];
  readonly commandTimeoutMs?: number;
}): RedisClient | undefined {
  const commandTimeoutMs =
    connection.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const nodes = connection.clusterNodes ?? [];
  if (nodes.length > 0) {
    return new Cluster(nodes.map(parseClusterNode), {
      enableOfflineQueue: false,
      clusterRetryStrategy: reconnectDelayMs,
      slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
      redisOptions: {
        commandTimeout: commandTimeoutMs,
        connectTimeout: CONNECT_TIMEOUT_MS,
        maxRetriesPerRequest: 1,
      },
    });
  }
  if (connection.url === undefined) return undefined;
  return new Redis(connection.url, {
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: reconnectDelayMs,
  });
}

/** Resolves or rejects like `promise`, or rejects once `ms` have passed. */
export async function withDeadline<T>(
  promise: Promise<T>,
  ms: number
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reconnect delay: doubling from RECONNECT_MIN_MS to RECONNECT_MAX_MS, with jitter. */
function reconnectDelayMs(attempt: number): number {
  const ceiling = Math.min(
    RECONNECT_MAX_MS,
    RECONNECT_MIN_MS * 2 ** Math.min(attempt, 10)
  );
  return Math.floor(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** `host:port` or `redis://host:port` → a cluster seed. */
function parseClusterNode(node: string): ClusterNode {
  const url = new URL(node.includes('://') ? node : `redis://${node}`);
  return {
    host: url.hostname,
    port: url.port === '' ? 6379 : Number(url.port),
  };
}

function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return `redis: ${message}`;
}
