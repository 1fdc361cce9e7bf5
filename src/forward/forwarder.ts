/**
 * The seam between ingest and forwarding: what a handler (through the
 * fan-out) calls to hand a normalized batch to a downstream, and what the
 * composition root calls to start and stop it.
 */
import type { GatewayError } from '../errors.js';
import type { SeriesBatch } from '../model/index.js';
import type { LedgerShard } from './append-ledger.js';

/** Queue state of one shard of a downstream. */
export interface ShardStats {
  readonly shard: number;
  readonly queuedPoints: number;
  readonly queuedBytes: number;
  readonly queuedFragments: number;
  readonly capacityPoints: number;
}

/** Queue state of one downstream. */
export interface ForwarderStats {
  readonly downstream: string;
  readonly queuedPoints: number;
  readonly capacityPoints: number;
  readonly shards: readonly ShardStats[];
}

/** What a stop left behind. */
export interface ForwarderStopReport {
  readonly downstream: string;
  /** Points still queued when the loops ended (lost unless the queue is durable). */
  readonly leftPoints: number;
  /** Whether everything queued was sent (or refused for good) before the drain timeout. */
  readonly isDrained: boolean;
}

/** One downstream of a batch type (SeriesBatch for remote write, LogBatch for logs). */
export interface Forwarder<B = SeriesBatch> {
  /** The `downstream` label value; unique among the forwarders of a fan-out. */
  readonly name: string;

  /**
   * First phase of an enqueue: prepares `batch` (encodes it) and checks that
   * every shard has room, changing no queue. Returns the error to refuse the
   * request with (OverloadedError when full, UnavailableError when stopping),
   * or undefined when `append(batch)` may follow. Admit and append must run in
   * the same synchronous turn, with no other admit in between.
   */
  admit(batch: B): GatewayError | undefined;

  /**
   * Second phase: appends what `admit(batch)` prepared, held until released.
   * Throws if `batch` was not just admitted, or when a queue cannot write
   * (OverloadedError `queue_unwritable`); run it inside AppendLedger.append,
   * which then cuts off what was appended.
   */
  append(batch: B): void;

  /**
   * `admit` then `append` and `sync`, whole or nothing (an AppendLedger):
   * throws the admit error; resolves once durable and released.
   */
  enqueue(batch: B): Promise<void>;

  /** The producer side of every shard's queue, for the fan-out's AppendLedger. */
  readonly ledgerShards: readonly LedgerShard[];

  /**
   * Resolves once everything appended so far is as durable as the queue's
   * fsync policy promises; the request is acknowledged only after it.
   */
  sync(): Promise<void>;

  /** Starts the sender loops (idempotent). */
  start(): void;

  /**
   * Stops accepting, lets the loops send what is queued for up to
   * `drainTimeoutMs`, then ends them (aborting requests in flight).
   * Resolves when every loop has ended.
   */
  stop(drainTimeoutMs: number): Promise<ForwarderStopReport>;

  stats(): ForwarderStats;
}
