/**
 * The sender loop of one queue shard of a downstream, remote write or logs
 * (named for what it does: it sends what one queue holds). It takes whole
 * fragments from its queue (up to `max_samples_per_send` points, or less once
 * `batch_send_deadline` has passed), joins them into one WriteRequest body,
 * compresses it once and sends it until the outcome is final:
 * - success: commit (the points leave the queue);
 * - failure (4xx but 429) of a batch of several fragments: nothing is
 *   dropped yet; the same fragments are sent again one per request, so the
 *   refusal is pinned on the fragments that cause it (poison records);
 * - failure of a single fragment: commit (set aside), counted with the
 *   status as reason and logged with its size; the records behind it go on;
 * - retryable: wait (Retry-After, else backoff) and send the same body again,
 *   forever: the queue fills and back-pressure reaches ingest, nothing is lost.
 *
 * A fragment bigger than a send (`maxBytesPerSend`) is split at series
 * boundaries by `split`, when given (remote write); a single series bigger
 * than a send is set aside as `too_large`.
 *
 * The shard is also the producer side of its queue for an AppendLedger:
 * appended fragments stay held until the ledger releases them.
 *
 * Timers are per shard and per wait (STYLE rule 18), never per sample.
 *
 * Nothing in the loop is specific to remote write but the default
 * compression: the log forwarders (forward/logs) run the same loop over
 * their own queues, clients and compression.
 */
import { snappyCompress } from '../protocol/index.js';
import type { Logger } from '../telemetry/index.js';
import type { Backoff } from './backoff.js';
import { DrainRate } from './drain-rate.js';
import type {
  ExportFailure,
  ExportResult,
  ExportSuccess,
} from './export-result.js';
import type { ForwardInstruments } from './forward-instruments.js';
import type { ForwardQueue, QueuedBatch } from './forward-queue.js';
import type { LedgerShard } from './append-ledger.js';

/** What the loop needs of a client: one POST, classified (RemoteWriteClient, HttpExportClient). */
export interface ShardClient {
  send(body: Uint8Array, signal?: AbortSignal): Promise<ExportResult>;
}

/** What the loop records (ForwardInstruments; the log forwarders count records instead of samples). */
export type ShardInstruments = Pick<
  ForwardInstruments,
  | 'addQueued'
  | 'recordRequest'
  | 'recordRetry'
  | 'recordDelivered'
  | 'recordRefused'
>;

/** What wakes a waiting loop before its timer. */
type WakeOn = 'any-append' | 'full-batch' | 'stop-only';

export interface QueueSenderOptions {
  readonly index: number;
  readonly queue: ForwardQueue;
  readonly client: ShardClient;
  readonly backoff: Backoff;
  readonly instruments: ShardInstruments;
  readonly logger: Logger;
  readonly maxPointsPerSend: number;
  readonly maxBytesPerSend: number;
  readonly batchSendDeadlineMs: number;
  readonly minBackoffMs: number;
  /** Unix time in ms. */
  readonly now: () => number;
  /** Turns the joined fragments into the request body; defaults to snappy (remote write, Loki). */
  readonly compress?: (body: Uint8Array) => Uint8Array;
  /** Cuts a fragment over `maxBytes` into sendable pieces; absent: it is sent whole. */
  readonly split?: (fragment: Uint8Array, maxBytes: number) => FragmentSplit;
}

/** A fragment cut for sending: pieces within the limit, and entries too big to send at all. */
export interface FragmentSplit {
  readonly pieces: readonly SplitPiece[];
  readonly oversized: readonly SplitPiece[];
}

export interface SplitPiece {
  readonly bytes: Uint8Array;
  readonly points: number;
}

export class QueueSender implements LedgerShard {
  readonly index: number;
  readonly queue: ForwardQueue;
  private readonly _options: QueueSenderOptions;
  private readonly _drainRate: DrainRate;
  private readonly _abort = new AbortController();
  // When the oldest unsent data started waiting; undefined while empty.
  private _pendingSinceMs: number | undefined;
  private _isDraining = false;
  private _isHalted = false;
  private _wakeOn: WakeOn = 'stop-only';
  private _wake: (() => void) | undefined;
  // Reused across sends: the joined body of several fragments (STYLE rule 17).
  private _joinBuffer = new Uint8Array(0);
  // Fragments still to send one per request after a refused batch.
  private _isolating = 0;

  constructor(options: QueueSenderOptions) {
    this._options = options;
    this.index = options.index;
    this.queue = options.queue;
    this._drainRate = new DrainRate(options.now());
  }

  /** Points per ms this shard's queue drained at lately. */
  drainRatePerMs(): number {
    return this._drainRate.perMs(this._options.now());
  }

  get tailSeq(): number {
    return this.queue.tailSeq;
  }

  rollbackTo(seq: number): void {
    const points = this.queue.rollbackTo(seq);
    this._options.instruments.addQueued(-points);
    // A draining loop waits for held fragments; there may be none left.
    if (this._wakeOn === 'any-append') this._wakeUp();
  }

  release(seq: number): void {
    this.queue.release(seq);
    if (this.queue.readyCount > 0) this.notifyAppended();
  }

  /** Called when fragments became sendable in this shard's queue. */
  notifyAppended(): void {
    this._pendingSinceMs ??= this._options.now();
    if (
      this._wakeOn === 'any-append' ||
      (this._wakeOn === 'full-batch' && this._hasFullBatch())
    ) {
      this._wakeUp();
    }
  }

  /** Send what is queued without waiting for the deadline, then end the loop. */
  drain(): void {
    this._isDraining = true;
    if (this._wakeOn !== 'stop-only') this._wakeUp();
  }

  /** End the loop now; a send in flight is aborted and its batch stays queued. */
  halt(): void {
    this._isHalted = true;
    this._abort.abort();
    this._wakeUp();
  }

  /** The loop; resolves when drained (after `drain`) or halted. Never rejects. */
  async run(): Promise<void> {
    const options = this._options;
    while (!this._isHalted) {
      try {
        if (this.queue.readyCount === 0) {
          // Held fragments are released (or rolled back) soon: wait for them.
          if (this._isDraining && this.queue.fragmentCount === 0) return;
          await this._wait(undefined, 'any-append');
          continue;
        }
        // Isolating fragments of a refused batch: they are due already.
        if (
          !this._isDraining &&
          this._isolating === 0 &&
          !this._hasFullBatch()
        ) {
          const nowMs = options.now();
          const waitedMs = nowMs - (this._pendingSinceMs ?? nowMs);
          if (waitedMs < options.batchSendDeadlineMs) {
            await this._wait(
              options.batchSendDeadlineMs - waitedMs,
              'full-batch'
            );
            continue;
          }
        }
        await this._sendHead();
      } catch (err) {
        // Nothing above should throw; if something does (a durable queue's
        // I/O), keep the loop alive and do not spin.
        options.logger.error(
          { err, shard: this.index },
          'forward shard loop failed; retrying'
        );
        await this._wait(options.backoff.nextDelayMs(), 'stop-only');
      }
    }
  }

  private async _sendHead(): Promise<void> {
    const options = this._options;
    const queue = this.queue;
    const isIsolating = this._isolating > 0;
    // While isolating, limits of 0 make peek return the head fragment alone.
    const batch = isIsolating
      ? await queue.peek(0, 0)
      : await queue.peek(options.maxPointsPerSend, options.maxBytesPerSend);
    if (batch === undefined) return;
    const takenAtMs = options.now();
    const fragment = batch.fragments[0]!;
    let refusedPoints = 0;
    if (
      batch.fragments.length === 1 &&
      batch.bytes > options.maxBytesPerSend &&
      options.split !== undefined
    ) {
      const refused = await this._sendSplit(fragment, options.split);
      if (refused === undefined) return;
      refusedPoints = refused;
    } else {
      const result = await this._sendUntilFinal(
        this._join(batch),
        batch.points
      );
      if (result === undefined) return;
      if (result.status === 'failure') {
        if (batch.fragments.length > 1) {
          // Keep the batch: find which of its fragments the downstream refuses.
          this._isolating = batch.fragments.length;
          options.logger.warn(
            {
              err: result.error,
              shard: this.index,
              status: result.httpStatus,
              body: result.responseBody,
              fragments: batch.fragments.length,
              points: batch.points,
            },
            'downstream refused a batch; sending its fragments one at a time to set the refused ones aside'
          );
          return;
        }
        refusedPoints = batch.points;
        this._setAside(
          `http_${result.httpStatus}`,
          fragment.byteLength,
          batch.points,
          {
            err: result.error,
            status: result.httpStatus,
            body: result.responseBody,
          }
        );
      }
    }
    if (isIsolating) this._isolating--;
    const removed = await queue.commit(batch);
    const nowMs = options.now();
    options.instruments.addQueued(-removed);
    this._drainRate.record(removed, nowMs);
    options.backoff.reset();
    const deliveredPoints = Math.max(0, removed - refusedPoints);
    if (deliveredPoints > 0 || refusedPoints === 0)
      options.instruments.recordDelivered(deliveredPoints, nowMs);
    // What is left was queued before this send started, or during it.
    this._pendingSinceMs = queue.readyCount > 0 ? takenAtMs : undefined;
  }

  /**
   * Sends `body` until the outcome is final: success or failure; undefined
   * when a halt ended the retries (the batch stays queued).
   */
  private async _sendUntilFinal(
    body: Uint8Array,
    points: number
  ): Promise<ExportSuccess | ExportFailure | undefined> {
    const options = this._options;
    const compressed = (options.compress ?? snappyCompress)(body);
    let retries = 0;
    for (;;) {
      const startedAt = performance.now();
      const result = await options.client.send(compressed, this._abort.signal);
      // A stop that ran out of time aborted this send: keep the batch queued.
      if (this._isHalted && result.status !== 'success') return undefined;
      options.instruments.recordRequest(
        result.httpStatus,
        (performance.now() - startedAt) / 1000
      );
      if (result.status !== 'retryable') {
        if (result.status === 'success' && retries > 0) {
          options.logger.info(
            { shard: this.index, points, retries },
            'forwarded batch after retries'
          );
        }
        return result;
      }
      retries++;
      options.instruments.recordRetry(result.reason);
      const delayMs =
        result.retryInMillis === undefined
          ? options.backoff.nextDelayMs()
          : Math.max(options.minBackoffMs, result.retryInMillis);
      const fields = {
        err: result.error,
        shard: this.index,
        points,
        attempt: retries,
        retryInMs: delayMs,
      };
      // One warning per batch, not per attempt: an outage would flood the log.
      if (retries === 1)
        options.logger.warn(fields, 'cannot forward batch; retrying');
      else options.logger.debug(fields, 'cannot forward batch; retrying');
      await this._wait(delayMs, 'stop-only');
      if (this._isHalted) return undefined;
    }
  }

  /**
   * Sends a fragment bigger than a send as several requests; entries that
   * cannot fit any send, and pieces the downstream refuses, are set aside.
   * Resolves with the points set aside, or undefined when halted (the
   * fragment stays queued and is sent whole again: at least once).
   */
  private async _sendSplit(
    fragment: Uint8Array,
    split: NonNullable<QueueSenderOptions['split']>
  ): Promise<number | undefined> {
    const { pieces, oversized } = split(
      fragment,
      this._options.maxBytesPerSend
    );
    let refusedPoints = 0;
    for (const piece of oversized) {
      refusedPoints += piece.points;
      this._setAside('too_large', piece.bytes.byteLength, piece.points, {
        maxBytes: this._options.maxBytesPerSend,
      });
    }
    for (const piece of pieces) {
      const result = await this._sendUntilFinal(piece.bytes, piece.points);
      if (result === undefined) return undefined;
      if (result.status === 'failure') {
        refusedPoints += piece.points;
        this._setAside(
          `http_${result.httpStatus}`,
          piece.bytes.byteLength,
          piece.points,
          {
            err: result.error,
            status: result.httpStatus,
            body: result.responseBody,
          }
        );
      }
    }
    return refusedPoints;
  }

  /** Counts and logs data dropped for good so the records behind it go on. */
  private _setAside(
    reason: string,
    bytes: number,
    points: number,
    fields: Readonly<Record<string, unknown>>
  ): void {
    this._options.instruments.recordRefused(reason, points);
    this._options.logger.warn(
      { ...fields, shard: this.index, reason, bytes, points },
      'queued data set aside (dropped) so the records behind it go on'
    );
  }

  private _hasFullBatch(): boolean {
    const options = this._options;
    return (
      this.queue.points >= options.maxPointsPerSend ||
      this.queue.bytes >= options.maxBytesPerSend
    );
  }

  /** The fragments as one WriteRequest body (a view; valid until the next join). */
  private _join(batch: QueuedBatch): Uint8Array {
    const fragments = batch.fragments;
    if (fragments.length === 1) return fragments[0]!;
    if (this._joinBuffer.length < batch.bytes)
      this._joinBuffer = new Uint8Array(batch.bytes);
    let at = 0;
    for (let i = 0; i < fragments.length; i++) {
      this._joinBuffer.set(fragments[i]!, at);
      at += fragments[i]!.byteLength;
    }
    return this._joinBuffer.subarray(0, at);
  }

  /** Waits `ms` (undefined: no timer), or until woken as `wakeOn` says, or halted. */
  private _wait(ms: number | undefined, wakeOn: WakeOn): Promise<void> {
    if (this._isHalted) return Promise.resolve();
    return new Promise(resolve => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        this._wake = undefined;
        this._wakeOn = 'stop-only';
        resolve();
      };
      this._wake = done;
      this._wakeOn = wakeOn;
      if (ms !== undefined) timer = setTimeout(done, ms);
    });
  }

  private _wakeUp(): void {
    const wake = this._wake;
    if (wake !== undefined) wake();
  }
}
