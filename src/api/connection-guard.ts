/**
 * Keeps count of the open connections per remote address, refuses the ones
 * over `server.max_connections_per_source`, and accounts for every connection
 * a cap refuses or a timeout closes: always in the metrics, in a warn line for
 * refusals (throttled, so an attack cannot flood the log) and in a debug line
 * for each connection reaped.
 */
import type { Socket } from 'node:net';
import {
  LogThrottle,
  type Logger,
  type SelfMetrics,
} from '../telemetry/index.js';

/** Why a connection was closed as soon as it was accepted. */
export type RefusalReason = 'max_connections' | 'per_source';
/** What a connection was doing when its time ran out. */
export type TimeoutReason = 'headers' | 'body' | 'idle';

/** One warn line per refusal reason at most every this often. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

export interface ConnectionGuardDeps {
  metrics: SelfMetrics;
  logger: Logger;
  /** Open connections one address may hold; 0: no cap. */
  maxPerSource: number;
  now?: () => number;
}

export class ConnectionGuard {
  private readonly _metrics: SelfMetrics;
  private readonly _logger: Logger;
  private readonly _throttle: LogThrottle;
  private _maxPerSource: number;
  /** Open connections by source address; an address leaves at its last close. */
  private readonly _openBySource = new Map<string, number>();

  constructor(deps: ConnectionGuardDeps) {
    this._metrics = deps.metrics;
    this._logger = deps.logger;
    this._maxPerSource = deps.maxPerSource;
    this._throttle = new LogThrottle(REFUSAL_LOG_INTERVAL_MS, deps.now);
  }

  /** Applies a new per-source cap; connections already open stay open. */
  setMaxPerSource(maxPerSource: number): void {
    this._maxPerSource = maxPerSource;
  }

  /**
   * Counts a newly accepted connection, or destroys it when its source holds
   * the cap already. Returns whether it was admitted.
   */
  admit(socket: Socket): boolean {
    const source = sourceOf(socket.remoteAddress);
    const open = this._openBySource.get(source) ?? 0;
    if (this._maxPerSource > 0 && open >= this._maxPerSource) {
      socket.destroy();
      this.refused('per_source', source, this._maxPerSource);
      return false;
    }
    this._openBySource.set(source, open + 1);
    this._metrics.connectionsOpen.inc();
    socket.once('close', () => {
      this._release(source);
    });
    return true;
  }

  /** Accounts for a connection closed on accept (`limit`: the cap it hit). */
  refused(reason: RefusalReason, source: string, limit: number): void {
    this._metrics.connectionsRefused.inc({ reason });
    const heldBack = this._throttle.admit(reason);
    if (heldBack === undefined) return;
    this._logger.warn(
      { reason, source, limit, held_back: heldBack },
      `connection refused: ${reason === 'per_source' ? `the source holds ${limit} connections, the per-source cap` : `${limit} connections open, the max_connections cap`}`
    );
  }

  /** Accounts for a connection that a timeout closes. */
  timedOut(reason: TimeoutReason, socket: Socket): void {
    this._metrics.connectionsTimedOut.inc({ reason });
    this._logger.debug(
      { reason, source: sourceOf(socket.remoteAddress) },
      `connection closed: ${reason} timeout`
    );
  }

  private _release(source: string): void {
    this._metrics.connectionsOpen.dec();
    const open = (this._openBySource.get(source) ?? 1) - 1;
    if (open <= 0) this._openBySource.delete(source);
    else this._openBySource.set(source, open);
  }
}

/**
 * The source a connection is counted under: its remote address, with an
 * IPv4-mapped IPv6 address read as the IPv4 one (a dual-stack listener sees
 * `::ffff:10.0.0.1` for 10.0.0.1).
 */
function sourceOf(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
