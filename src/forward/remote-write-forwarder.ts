/**
 * Forwarding of normalized metrics to one remote write 1.0 downstream.
 *
 * Data is encoded once, at enqueue time, inside the ingest request: every
 * live series goes to the shard its label hash picks (so its samples keep
 * their order), encoded with encodeSeriesV1 into that shard's reusable
 * writer; each shard's bytes are then copied out as one fragment and
 * appended to the shard's ForwardQueue. Family metadata, deduplicated per
 * enqueue, rides in shard 0's fragment: WriteRequest fields 1 and 3 may
 * interleave, and metadata has no order to keep.
 *
 * An enqueue is all or nothing: if any shard lacks room, nothing is appended
 * anywhere and the caller gets an OverloadedError whose Retry-After comes
 * from how fast the full shards have been draining; if an append or fsync
 * fails midway, the AppendLedger cuts off what was appended, and nothing of
 * the refused request is sent.
 */
import type { RemoteWriteTargetConfig } from '../config/index.js';
import { ProtobufWriter } from '../protocol/index.js';
import {
  OverloadedError,
  UnavailableError,
  type GatewayError,
} from '../errors.js';
import { encodeMetadataV1, encodeSeriesV1 } from '../protocol/index.js';
import type { MetricMetadata, SeriesBatch } from '../model/index.js';
import type { Logger, SelfMetrics } from '../telemetry/index.js';
import { AppendLedger, type LedgerShard } from './append-ledger.js';
import { Backoff } from './backoff.js';
import { readFleetgateVersion } from './fleetgate-version.js';
import { ForwardInstruments } from './forward-instruments.js';
import type { ForwardQueue } from './forward-queue.js';
import type {
  Forwarder,
  ForwarderStats,
  ForwarderStopReport,
  ShardStats,
} from './forwarder.js';
import { EncodedLabelsCache } from './encoded-labels-cache.js';
import { hashLabels } from './hash-labels.js';
import { MemoryForwardQueue } from './memory-forward-queue.js';
import { RemoteWriteClient } from './remote-write-client.js';
import { QueueSender } from './queue-sender.js';
import { splitWriteRequest } from './split-write-request.js';

/** The shard whose fragments carry the metadata entries. */
export const METADATA_SHARD = 0;
/**
 * Queue bytes allowed per point of capacity. A Kubernetes series with one
 * sample encodes to roughly 300–600 bytes, so samples bind first; the byte
 * bound is what limits metadata-only fragments, which hold no points.
 */
export const QUEUE_BYTES_PER_POINT = 2048;
/** Uncompressed body cap per send (a single larger fragment is sent alone). */
export const MAX_SEND_BYTES = 16 * 1024 * 1024;
/** Bounds of the Retry-After given to senders when a queue is full. */
export const MIN_QUEUE_FULL_RETRY_AFTER_MS = 1_000;
export const MAX_QUEUE_FULL_RETRY_AFTER_MS = 30_000;
const INITIAL_WRITER_BYTES = 16 * 1024;
// A shard writer grown past this by one extreme request is replaced after
// use rather than kept (issue #11, finding 5); normal batches (2,000 series
// over 8 shards, ~80 KiB a shard) stay far below it and keep their buffer.
const MAX_RETAINED_WRITER_BYTES = 1024 * 1024;

/** Queue bounds handed to `createQueue`. */
export interface QueueCapacity {
  readonly capacityPoints: number;
  readonly capacityBytes: number;
}

/** Which downstream a queue from `createQueue` serves (a disk queue's directory). */
export interface QueueTarget {
  /** The forwarder's `name` (the `downstream` label). */
  readonly downstream: string;
  /** How many shards (queues) the downstream has. */
  readonly shards: number;
}

export interface RemoteWriteForwarderDeps {
  readonly logger: Logger;
  readonly metrics: SelfMetrics;
  /** Sent as `User-Agent: fleetgate/<version>`; defaults to package.json's version. */
  readonly version?: string;
  /** Defaults to the global fetch (undici). */
  readonly fetch?: typeof globalThis.fetch;
  /** Unix time in ms; defaults to Date.now. */
  readonly now?: () => number;
  /** [0, 1) for backoff jitter; defaults to Math.random. */
  readonly random?: () => number;
  /** Encoded labels of known series, shared by the downstreams of one fan-out. */
  readonly labelsCache?: EncodedLabelsCache;
  /**
   * Whole-or-nothing appends across the forwarders of one fan-out (which
   * passes its own); defaults to one for this forwarder alone.
   */
  readonly appendLedger?: AppendLedger;
  /** The queue of each shard; defaults to a MemoryForwardQueue. */
  readonly createQueue?: (
    shard: number,
    capacity: QueueCapacity,
    target: QueueTarget
  ) => ForwardQueue;
}

/**
 * One remote write 1.0 downstream: `shards` byte queues, each with its own
 * sender loop. Enqueue is synchronous and never waits for the network.
 */
export class RemoteWriteForwarder implements Forwarder {
  readonly name: string;
  private readonly _logger: Logger;
  private readonly _instruments: ForwardInstruments;
  private readonly _shards: QueueSender[] = [];
  private readonly _ledger: AppendLedger;
  private readonly _writers: ProtobufWriter[] = [];
  private readonly _shardPoints: Float64Array;
  private readonly _seenFamilies = new Set<string>();
  private _admitted: SeriesBatch | undefined;
  private _loops: Promise<void>[] | undefined;
  private _isStopping = false;
  private _stopped: Promise<ForwarderStopReport> | undefined;

  /**
   * `config` is one validated `forward.remote_write` entry (durations in ms).
   * Throws ConfigError when it sets both bearer_token and basic_auth.
   */
  private readonly _labelsCache: EncodedLabelsCache;

  constructor(config: RemoteWriteTargetConfig, deps: RemoteWriteForwarderDeps) {
    this._labelsCache = deps.labelsCache ?? new EncodedLabelsCache();
    this._ledger = deps.appendLedger ?? new AppendLedger();
    const now = deps.now ?? Date.now;
    const version = deps.version ?? readFleetgateVersion();
    const clientDeps =
      deps.fetch === undefined
        ? { version, now }
        : { version, now, fetch: deps.fetch };
    const client = new RemoteWriteClient(config, clientDeps);
    this.name = client.downstream;
    this._logger = deps.logger.child({
      component: 'forward',
      downstream: this.name,
    });
    this._instruments = new ForwardInstruments(deps.metrics, this.name);

    const shardCount = config.shards;
    // Capacity is split evenly so the total stays within `capacity`; series
    // hash evenly, so the shards fill evenly.
    const capacityPoints = Math.max(
      1,
      Math.floor(config.capacity / shardCount)
    );
    const capacity = {
      capacityPoints,
      capacityBytes: capacityPoints * QUEUE_BYTES_PER_POINT,
    };
    const createQueue =
      deps.createQueue ??
      ((_shard: number, c: QueueCapacity) => new MemoryForwardQueue(c));
    const target = { downstream: this.name, shards: shardCount };
    for (let s = 0; s < shardCount; s++) {
      this._writers.push(new ProtobufWriter(INITIAL_WRITER_BYTES));
      const queue = createQueue(s, capacity, target);
      // A reopened durable queue starts with what the last run left unsent.
      this._instruments.addQueued(queue.points);
      this._shards.push(
        new QueueSender({
          index: s,
          queue,
          client,
          backoff: new Backoff(
            config.min_backoff,
            config.max_backoff,
            deps.random
          ),
          instruments: this._instruments,
          logger: this._logger,
          maxPointsPerSend: config.max_samples_per_send,
          maxBytesPerSend: MAX_SEND_BYTES,
          batchSendDeadlineMs: config.batch_send_deadline,
          minBackoffMs: config.min_backoff,
          now,
          split: splitWriteRequest,
        })
      );
    }
    this._shardPoints = new Float64Array(shardCount);
    this._instruments.setCapacity(this._totalCapacityPoints());
  }

  get ledgerShards(): readonly LedgerShard[] {
    return this._shards;
  }

  admit(batch: SeriesBatch): GatewayError | undefined {
    this._admitted = undefined;
    if (this._isStopping) {
      return new UnavailableError(
        `cannot enqueue to ${this.name}: forwarding is shutting down`
      );
    }
    this._encode(batch);
    const retryAfterMs = this._roomShortage();
    if (retryAfterMs !== undefined) {
      return new OverloadedError(
        `cannot enqueue to ${this.name}: forward queue full (${this._fillText()})`,
        'queue_full',
        retryAfterMs
      );
    }
    this._admitted = batch;
    return undefined;
  }

  append(batch: SeriesBatch): void {
    if (this._admitted !== batch) {
      throw new Error(
        `cannot append to ${this.name}: the batch was not just admitted`
      );
    }
    this._admitted = undefined;
    const shards = this._shards;
    for (let s = 0; s < shards.length; s++) {
      const writer = this._writers[s]!;
      if (writer.pos === 0) continue;
      const points = this._shardPoints[s]!;
      // A copy: the writer's buffer is reused by the next enqueue.
      const fragment = writer.finish().slice();
      if (writer.buf.length > MAX_RETAINED_WRITER_BYTES)
        this._writers[s] = new ProtobufWriter(INITIAL_WRITER_BYTES);
      const shard = shards[s]!;
      if (!shard.queue.tryAppend(fragment, points)) {
        // admit checked the room in this same turn; only a broken queue gets here.
        throw new Error(
          `cannot append to ${this.name} shard ${s}: queue refused a fragment it had room for`
        );
      }
      // The ledger releases it to the sender once the request is durable.
      this._instruments.addQueued(points);
    }
  }

  enqueue(batch: SeriesBatch): Promise<void> {
    const error = this.admit(batch);
    if (error !== undefined) throw error;
    return this._ledger.append(
      this._shards,
      () => this.append(batch),
      () => this.sync()
    );
  }

  /**
   * Resolves when what was appended so far is as durable as each queue's
   * fsync policy promises before an acknowledgement (ForwardQueue.sync);
   * rejects with UnavailableError when a queue cannot make it so. Await it
   * after `append` and before answering 2xx.
   */
  async sync(): Promise<void> {
    const shards = this._shards;
    const pending: Promise<void>[] = [];
    for (let s = 0; s < shards.length; s++) {
      const synced = shards[s]!.queue.sync?.();
      if (synced !== undefined) pending.push(synced);
    }
    if (pending.length > 0) await Promise.all(pending);
  }

  start(): void {
    if (this._loops !== undefined || this._isStopping) return;
    this._loops = this._shards.map(shard => shard.run());
  }

  stop(drainTimeoutMs: number): Promise<ForwarderStopReport> {
    this._isStopping = true;
    this._stopped ??= this._stop(drainTimeoutMs);
    return this._stopped;
  }

  stats(): ForwarderStats {
    const shards: ShardStats[] = this._shards.map(shard => ({
      shard: shard.index,
      queuedPoints: shard.queue.points,
      queuedBytes: shard.queue.bytes,
      queuedFragments: shard.queue.fragmentCount,
      capacityPoints: shard.queue.capacityPoints,
    }));
    return {
      downstream: this.name,
      queuedPoints: this._queuedPoints(),
      capacityPoints: this._totalCapacityPoints(),
      shards,
    };
  }

  /** Encodes the live series of `batch` into the per-shard writers. */
  private _encode(batch: SeriesBatch): void {
    const writers = this._writers;
    const shardPoints = this._shardPoints;
    const shardCount = writers.length;
    for (let s = 0; s < shardCount; s++) writers[s]!.reset();
    shardPoints.fill(0);
    const seen = this._seenFamilies;
    seen.clear();
    const metadataWriter = writers[METADATA_SHARD]!;

    for (let i = 0; i < batch.seriesCount; i++) {
      if (batch.dropped[i] !== 0) continue;
      const points = batch.pointsOf(i);
      // A series with no sample, histogram or exemplar carries nothing.
      if (points === 0 && batch.exemplarStart[i + 1] === batch.exemplarStart[i])
        continue;
      // The cardinality stage hashed every live series already; hash here only without it.
      const hash = batch.isHashed
        ? batch.seriesHashes[2 * i + 1]!
        : hashLabels(batch.labels[i]!);
      const shard = hash % shardCount;
      const labelFields =
        batch.stable[i] === 1
          ? this._labelsCache.labelFieldsOf(batch.labels[i]!)
          : undefined;
      encodeSeriesV1(batch, i, writers[shard]!, labelFields);
      shardPoints[shard] = shardPoints[shard]! + points;
      const metadata = batch.metadata[i];
      if (metadata !== undefined)
        this._encodeMetadataOnce(metadata, metadataWriter);
    }
    const familyMetadata = batch.familyMetadata;
    for (let m = 0; m < familyMetadata.length; m++) {
      this._encodeMetadataOnce(familyMetadata[m]!, metadataWriter);
    }
  }

  private _encodeMetadataOnce(
    metadata: MetricMetadata,
    writer: ProtobufWriter
  ): void {
    if (this._seenFamilies.has(metadata.familyName)) return;
    this._seenFamilies.add(metadata.familyName);
    encodeMetadataV1(metadata, writer);
  }

  /**
   * undefined when every shard has room for its fragment; else the
   * Retry-After (ms) for the sender: the time the slowest full shard needs
   * to drain the excess at its recent rate, within [1 s, 30 s].
   */
  private _roomShortage(): number | undefined {
    let retryAfterMs: number | undefined;
    const shards = this._shards;
    for (let s = 0; s < shards.length; s++) {
      const bytes = this._writers[s]!.pos;
      if (bytes === 0) continue;
      const points = this._shardPoints[s]!;
      const shard = shards[s]!;
      const queue = shard.queue;
      if (queue.hasRoom(points, bytes)) continue;
      const excessPoints = Math.max(
        1,
        queue.points + points - queue.capacityPoints
      );
      const rate = shard.drainRatePerMs();
      const waitMs =
        rate > 0 ? excessPoints / rate : MAX_QUEUE_FULL_RETRY_AFTER_MS;
      retryAfterMs = Math.max(retryAfterMs ?? 0, waitMs);
    }
    if (retryAfterMs === undefined) return undefined;
    return Math.ceil(
      Math.min(
        MAX_QUEUE_FULL_RETRY_AFTER_MS,
        Math.max(MIN_QUEUE_FULL_RETRY_AFTER_MS, retryAfterMs)
      )
    );
  }

  private async _stop(drainTimeoutMs: number): Promise<ForwarderStopReport> {
    const loops = Promise.all(this._loops ?? []);
    for (const shard of this._shards) shard.drain();
    let timer: NodeJS.Timeout | undefined;
    const isTimedOut = await new Promise<boolean>(resolve => {
      timer = setTimeout(() => resolve(true), drainTimeoutMs);
      void loops.then(() => resolve(false));
    });
    clearTimeout(timer);
    if (isTimedOut) {
      for (const shard of this._shards) shard.halt();
      await loops;
    }
    const leftPoints = this._queuedPoints();
    let leftFragments = 0;
    for (const shard of this._shards)
      leftFragments += shard.queue.fragmentCount;
    const report = {
      downstream: this.name,
      leftPoints,
      isDrained: leftFragments === 0,
    };
    // This forwarder no longer sends them; a successor (after a reload) counts its own.
    this._instruments.addQueued(-leftPoints);
    if (report.isDrained) this._logger.info('forward queue drained');
    else
      this._logger.warn(
        { leftPoints },
        'forward queue not drained before the timeout; points left'
      );
    return report;
  }

  private _queuedPoints(): number {
    let points = 0;
    for (const shard of this._shards) points += shard.queue.points;
    return points;
  }

  private _totalCapacityPoints(): number {
    let points = 0;
    for (const shard of this._shards) points += shard.queue.capacityPoints;
    return points;
  }

  /** How full the queues are, in the unit that bounds them (a disk queue is bounded by bytes). */
  private _fillText(): string {
    let points = 0;
    let capacityPoints = 0;
    let bytes = 0;
    let capacityBytes = 0;
    for (const shard of this._shards) {
      points += shard.queue.points;
      capacityPoints += shard.queue.capacityPoints;
      bytes += shard.queue.bytes;
      capacityBytes += shard.queue.capacityBytes;
    }
    return Number.isFinite(capacityPoints)
      ? `${points} of ${capacityPoints} samples queued`
      : `${points} samples, ${bytes} of ${capacityBytes} bytes queued${this._diskText()}`;
  }

  /** Bytes of segment files, when the queues are on disk (sent bytes not yet deleted count). */
  private _diskText(): string {
    let diskBytes = 0;
    let hasDisk = false;
    let isPaused = false;
    for (const shard of this._shards) {
      const queue = shard.queue as Partial<{
        diskBytes: number;
        isWritePaused: boolean;
      }>;
      if (typeof queue.diskBytes === 'number') {
        hasDisk = true;
        diskBytes += queue.diskBytes;
      }
      if (queue.isWritePaused === true) isPaused = true;
    }
    if (!hasDisk) return '';
    const paused = isPaused
      ? '; appends paused after a failed write or fsync (disk full?)'
      : '';
    return `; ${diskBytes} bytes of segment files on disk${paused}`;
  }
}
