/**
 * The durable ForwardQueue: one directory per shard of a downstream, holding
 * append-only segment files (format in segment-format.ts) and a cursor
 * (queue-cursor.ts). Only an index of the records (segment, offset, length,
 * points, append time) lives in memory; `peek` reads the fragments back from
 * disk (the page cache, while the consumer keeps up), one read per segment
 * per batch, so queued bytes never pile up in the heap.
 *
 * Acknowledgement: `tryAppend` writes the record synchronously (pwritev), so
 * once it returns the data is in the kernel and survives the gateway being
 * killed. Power loss is what the fsync policy is about:
 * - `always`: `sync()` resolves once an fdatasync that began after the
 *   append has finished; concurrent requests share one fdatasync per segment
 *   (group commit). The caller awaits it before answering 2xx.
 * - `interval`: an fdatasync every `fsyncIntervalMs` when anything is
 *   unsynced; `sync()` resolves at once (up to one interval is at risk).
 * - `never`: the kernel writes back when it likes; `sync()` resolves at once.
 *
 * Limits. `capacityBytes` bounds the segment files on disk, sent bytes not
 * yet deleted included; a segment is at most a quarter of it, so sent bytes
 * waiting in the head segment take at most a quarter. An empty queue takes
 * one record whatever its size (so a big request never wedges). `maxAgeMs`
 * drops records older than that from the head, counted and logged, before a
 * peek and whenever a producer asks for room: during a long outage that is
 * what frees room for fresh data, even under a batch being retried (whose
 * later commit is then a no-op).
 *
 * Recovery. `open` scans every segment from the cursor on, verifying each
 * record's CRC; the first torn or corrupt record and everything after it in
 * that segment is cut off (ftruncate), counted
 * (`fleetgate_queue_corrupt_records_total`) and logged; later segments are
 * kept. What survives is replayed from the cursor on: at least once, in
 * order.
 *
 * Why this file is long: append, sync, peek, commit and rollback share one in-memory record index and one set of open segment files; split apart, each part would reach into the others.
 */
import {
  closeSync,
  fdatasync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { open as openFile, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Registry } from 'prom-client';
import { OverloadedError } from '../../errors.js';
import type { ForwardQueue, QueuedBatch } from '../forward-queue.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';
import { DiskQueueMetrics } from './disk-queue-metrics.js';
import {
  QueueCursorFile,
  syncDirectory,
  type QueuePosition,
} from './queue-cursor.js';
import { RecordRing } from './record-ring.js';
import {
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  checkRecord,
  encodeRecordHeader,
  encodeSegmentHeader,
  parseSegmentFileName,
  scanSegmentSync,
  segmentFileName,
} from './segment-format.js';

/** When appended data is fsync'd; see the module comment. */
export type FsyncPolicy = 'always' | 'interval' | 'never';

export type QueueLogLevel = 'info' | 'warn' | 'error';

/** Where the queue reports what an operator should see (pino: `logger[level](fields, message)`). */
export type QueueLog = (
  level: QueueLogLevel,
  message: string,
  fields: Readonly<Record<string, unknown>>
) => void;

/** Records that left the queue unsent, by policy (age) or because they were unreadable. */
export interface QueueDrop {
  readonly reason: 'expired' | 'corrupt';
  readonly records: number;
  /** Samples plus histograms; unknown (0) for a corrupt tail cut on open. */
  readonly points: number;
  readonly bytes: number;
}

export interface DiskForwardQueueOptions {
  /** This queue's own directory (created if missing), e.g. `<queue_dir>/<downstream>/shard-0`. */
  readonly dir: string;
  /** The `downstream` metric label and log field. */
  readonly downstream: string;
  /** Bytes of segment files on disk before appends are refused. */
  readonly capacityBytes: number;
  /** Points queued before appends are refused; default unbounded (bytes bind). */
  readonly capacityPoints?: number;
  readonly fsync: FsyncPolicy;
  /** For `interval`; default DEFAULT_FSYNC_INTERVAL_MS. */
  readonly fsyncIntervalMs?: number;
  /** Segment size before rolling over; default DEFAULT_SEGMENT_BYTES (capped at a quarter of capacityBytes). */
  readonly segmentBytes?: number;
  /** Records older than this (ms since append) are dropped unsent, counted; undefined: kept until sent. */
  readonly maxAgeMs?: number | undefined;
  /** The registry for the fleetgate_queue_* metrics. */
  readonly registry: Registry;
  readonly log?: QueueLog;
  /** Told about every drop (e.g. to keep the forwarder's queued-samples gauge right). */
  readonly onDropped?: (drop: QueueDrop) => void;
  /** Unix time in ms; default Date.now. */
  readonly now?: () => number;
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_FSYNC_INTERVAL_MS = 100;
/** Segments per capacity, at least: bounds the sent bytes the head segment keeps on disk. */
const MIN_SEGMENTS_PER_CAPACITY = 4;
const MIN_SEGMENT_BYTES = 4096;
/** After a failed write or fsync, appends are refused (retryable) this long. */
export const WRITE_FAILURE_PAUSE_MS = 1000;
/**
 * A commit that leaves the queue empty retires the open segment once it
 * holds this many (sent) bytes, so it is deleted at once; below this, the
 * bytes wait for the next rollover (a new file per send would cost more)
 * unless the disk has less than LOW_FREE_DISK_BYTES free.
 */
const RETIRE_SENT_SEGMENT_BYTES = 1024 * 1024;
const LOW_FREE_DISK_BYTES = 64 * 1024 * 1024;
/** Expiry is logged at most this often, with the totals since the last line. */
const EXPIRY_LOG_INTERVAL_MS = 10_000;

const fdatasyncAsync = promisify(fdatasync);

interface Segment {
  readonly id: number;
  bytes: number;
  /** Open for appends: only the newest segment, once written to since open. */
  fd: number | undefined;
}

/** What a batch returned by `peek` covers: records firstSeq .. firstSeq+count-1. */
interface PeekedRecords {
  readonly firstSeq: number;
  readonly count: number;
  isCommitted: boolean;
}

interface RecordsRead {
  readonly fragments: Uint8Array[];
  /** Index of the first record that did not verify, if any. */
  readonly badIndex: number | undefined;
  readonly problem: string | undefined;
}

const noLog: QueueLog = () => undefined;

export class DiskForwardQueue implements ForwardQueue {
  readonly capacityPoints: number;
  readonly capacityBytes: number;
  private readonly _dir: string;
  private readonly _downstream: string;
  private readonly _fsync: FsyncPolicy;
  private readonly _segmentBytes: number;
  private readonly _maxAgeMs: number | undefined;
  private readonly _metrics: DiskQueueMetrics;
  private readonly _log: QueueLog;
  private readonly _onDropped: ((drop: QueueDrop) => void) | undefined;
  private readonly _now: () => number;
  private readonly _lock: DirLock;
  private _cursorFile: QueueCursorFile | undefined;
  private readonly _ring = new RecordRing();
  private readonly _segments: Segment[] = [];
  private readonly _peeks = new WeakMap<QueuedBatch, PeekedRecords>();
  // Reused for every record header: written synchronously, so never shared.
  private readonly _header = Buffer.alloc(RECORD_HEADER_BYTES);
  private _nextSegmentId = 1;
  private _points = 0;
  private _bytes = 0;
  private _diskBytes = 0;
  /** This queue's share of the segments gauge. */
  private _segmentGauge = 0;
  /** Sequence number of the head record; records are numbered in append order. */
  private _headSeq = 0;
  /** Records before this sequence number may be peeked (see ForwardQueue.release). */
  private _releasedSeq = 0;
  private _failedUntilMs = 0;
  private _isClosed = false;
  private _closing: Promise<void> | undefined;
  // fsync: group commit by sequence numbers (appends made / covered by a finished fdatasync).
  private _appendSeq = 0;
  private _syncedSeq = 0;
  private _syncing: Promise<void> | undefined;
  private _retiredFds: number[] = [];
  private _isDirDirty = false;
  private _syncTimer: NodeJS.Timeout | undefined;
  // Cursor writes, coalesced the same way.
  private _cursorChangeSeq = 0;
  private _cursorSavedSeq = 0;
  private _cursorSaving: Promise<void> | undefined;
  private _expiredSinceLog = { records: 0, points: 0, bytes: 0 };
  private _lastExpiryLogMs = Number.NEGATIVE_INFINITY;

  /**
   * Opens (or creates) the queue in `options.dir`: takes its lock, scans and
   * repairs its segments, and indexes what the cursor has not passed.
   * Synchronous, so a forwarder can build its queues in its constructor; it
   * reads every queued byte once (about 1 GB/s from the page cache). Throws
   * when the directory cannot be used (permissions, another owner).
   */
  static open(options: DiskForwardQueueOptions): DiskForwardQueue {
    mkdirSync(options.dir, { recursive: true });
    const lock = acquireDirLock(options.dir);
    try {
      return new DiskForwardQueue(options, lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private constructor(options: DiskForwardQueueOptions, lock: DirLock) {
    this._lock = lock;
    this._dir = options.dir;
    this._downstream = options.downstream;
    this.capacityBytes = options.capacityBytes;
    this.capacityPoints = options.capacityPoints ?? Number.POSITIVE_INFINITY;
    this._fsync = options.fsync;
    this._segmentBytes = Math.max(
      MIN_SEGMENT_BYTES,
      Math.min(
        options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
        Math.floor(options.capacityBytes / MIN_SEGMENTS_PER_CAPACITY)
      )
    );
    this._maxAgeMs = options.maxAgeMs;
    this._metrics = new DiskQueueMetrics(options.registry, options.downstream);
    this._log = options.log ?? noLog;
    this._onDropped = options.onDropped;
    this._now = options.now ?? Date.now;
    this._recover();
    this._expire();
    if (this._fsync === 'interval') {
      const intervalMs = options.fsyncIntervalMs ?? DEFAULT_FSYNC_INTERVAL_MS;
      this._syncTimer = setInterval(() => this._syncIfDirty(), intervalMs);
      // The timer alone must not keep the process alive; close() syncs last.
      this._syncTimer.unref();
    }
  }

  get points(): number {
    return this._points;
  }

  /** Fragment bytes queued (the send bodies' size, headers excluded). */
  get bytes(): number {
    return this._bytes;
  }

  get fragmentCount(): number {
    return this._ring.count;
  }

  get readyCount(): number {
    return this._releasedSeq - this._headSeq;
  }

  get tailSeq(): number {
    return this._headSeq + this._ring.count;
  }

  /** Whether appends are refused for a moment after a failed write or fsync (disk full, I/O error). */
  get isWritePaused(): boolean {
    return this._failedUntilMs > this._now();
  }

  /** Segment files on disk. */
  get segmentCount(): number {
    return this._segments.length;
  }

  /** Bytes of segment files on disk, what `capacityBytes` bounds. */
  get diskBytes(): number {
    return this._diskBytes;
  }

  /** The queue's directory. */
  get dir(): string {
    return this._dir;
  }

  hasRoom(points: number, bytes: number): boolean {
    if (this._isClosed) return false;
    this._expire();
    if (this._failedUntilMs > this._now()) return false;
    if (this._ring.count === 0) return true;
    return (
      this._points + points <= this.capacityPoints &&
      this._diskBytes + RECORD_HEADER_BYTES + bytes <= this.capacityBytes
    );
  }

  /**
   * Writes one record (synchronously, to the kernel) and indexes it, held
   * until `release`. Throws OverloadedError (`queue_unwritable`, 503 with
   * Retry-After) when the write fails (disk full, I/O error): the partial
   * record is cut off and appends are refused for a second.
   */
  tryAppend(fragment: Uint8Array, points: number): boolean {
    if (!this.hasRoom(points, fragment.byteLength)) return false;
    const nowMs = this._now();
    const recordBytes = RECORD_HEADER_BYTES + fragment.byteLength;
    let segment: Segment;
    try {
      segment = this._writableSegment(recordBytes);
    } catch (err) {
      this._failAppend(err, undefined, 0);
    }
    const offset = segment.bytes;
    try {
      encodeRecordHeader(this._header, fragment, points, nowMs);
      writeAllSync(segment.fd!, [this._header, fragment], offset);
    } catch (err) {
      this._failAppend(err, segment, offset);
    }
    segment.bytes += recordBytes;
    this._addDiskBytes(recordBytes);
    this._ring.push(segment.id, offset, fragment.byteLength, points, nowMs);
    this._points += points;
    this._bytes += fragment.byteLength;
    this._appendSeq++;
    // Start the fdatasync now; the request's sync() joins it (group commit).
    if (this._fsync === 'always') this._syncInBackground();
    return true;
  }

  /**
   * Resolves when everything appended before the call is as durable as the
   * fsync policy promises before an acknowledgement: fdatasync'd for
   * `always`, at once otherwise. Rejects with UnavailableError when fsync
   * fails (the request must not be acknowledged).
   */
  async sync(): Promise<void> {
    if (this._fsync !== 'always') return;
    await this._syncThrough(this._appendSeq);
  }

  async peek(
    maxPoints: number,
    maxBytes: number
  ): Promise<QueuedBatch | undefined> {
    for (;;) {
      if (this._isClosed) return undefined;
      this._expire();
      const ring = this._ring;
      const ready = this._releasedSeq - this._headSeq;
      if (ready <= 0) return undefined;
      const firstSeq = this._headSeq;
      let count = 0;
      let bytes = 0;
      let points = 0;
      while (count < ready) {
        const recordPoints = ring.points(count);
        const recordBytes = ring.length(count);
        if (
          count > 0 &&
          (points + recordPoints > maxPoints || bytes + recordBytes > maxBytes)
        ) {
          break;
        }
        points += recordPoints;
        bytes += recordBytes;
        count++;
      }
      let read: RecordsRead;
      try {
        read = await this._readHead(count);
      } catch (err) {
        // The head moved while reading (age limit): its segment may be gone.
        if (firstSeq !== this._headSeq) continue;
        throw err;
      }
      if (firstSeq !== this._headSeq) continue;
      if (read.badIndex === 0) {
        this._log('error', 'queue record unreadable; dropped it', {
          downstream: this._downstream,
          dir: this._dir,
          segment: ring.segment(0),
          offset: ring.offset(0),
          problem: read.problem,
        });
        this._dropHead(1, 'corrupt');
        continue;
      }
      if (read.badIndex !== undefined) {
        // Send what verified; the bad record is the head of the next peek.
        count = read.badIndex;
        points = 0;
        bytes = 0;
        for (let i = 0; i < count; i++) {
          points += ring.points(i);
          bytes += ring.length(i);
        }
      }
      const batch: QueuedBatch = { fragments: read.fragments, points, bytes };
      this._peeks.set(batch, { firstSeq, count, isCommitted: false });
      return batch;
    }
  }

  /**
   * Removes the records of `batch` (from the last or an earlier `peek`) and
   * persists the cursor past them, then deletes segments it has passed.
   * Records of the batch the age limit dropped meanwhile are already gone
   * (and reported through onDropped): resolves with the points this commit
   * removed. A cursor that cannot be written is logged, not thrown: it only
   * means records are sent again after a restart.
   */
  async commit(batch: QueuedBatch): Promise<number> {
    const peeked = this._peeks.get(batch);
    if (peeked === undefined) {
      throw new Error(
        `cannot commit ${batch.fragments.length} fragments: this queue did not peek them`
      );
    }
    if (peeked.isCommitted) {
      throw new Error(
        `cannot commit ${batch.fragments.length} fragments: already committed`
      );
    }
    if (this._isClosed) {
      throw new Error(
        `cannot commit ${batch.fragments.length} fragments: the queue in ${this._dir} is closed (they are sent again after a restart)`
      );
    }
    peeked.isCommitted = true;
    const left = peeked.firstSeq + peeked.count - this._headSeq;
    const removed = left > 0 ? this._removeHead(left).points : 0;
    // Everything sent: the open segment holds only sent bytes; retire it so
    // it is deleted now rather than at rollover (on a small disk it may
    // never roll over, and its sent bytes would keep the disk full).
    if (this._ring.count === 0) await this._retireSentSegment();
    await this._persistCursor();
    return removed;
  }

  /**
   * Makes the records before sequence number `seq` visible to `peek`: the
   * request that appended them is acknowledged (ForwardQueue.release).
   */
  release(seq: number): void {
    if (seq > this._releasedSeq) {
      this._releasedSeq = Math.min(seq, this.tailSeq);
    }
  }

  /**
   * Removes every record from sequence number `seq` on that is not
   * released yet (a refused request's), cutting it off the segment files:
   * truncates the segment it starts in and deletes segments created after.
   * Synchronous. Returns the points removed.
   */
  rollbackTo(seq: number): number {
    const ring = this._ring;
    const from = Math.max(seq, this._releasedSeq, this._headSeq);
    const n = this.tailSeq - from;
    if (n <= 0) return 0;
    const first = ring.count - n;
    const segmentId = ring.segment(first);
    const offset = ring.offset(first);
    let points = 0;
    let bytes = 0;
    for (let i = first; i < ring.count; i++) {
      points += ring.points(i);
      bytes += ring.length(i);
    }
    ring.pop(n);
    this._points -= points;
    this._bytes -= bytes;
    const segments = this._segments;
    while (
      segments.length > 0 &&
      segments[segments.length - 1]!.id > segmentId
    ) {
      const segment = segments.pop()!;
      this._retireFd(segment);
      this._addDiskBytes(-segment.bytes);
      rmSync(join(this._dir, segmentFileName(segment.id)), { force: true });
      this._isDirDirty = true;
    }
    const segment = segments[segments.length - 1];
    if (segment?.id === segmentId && segment.bytes > offset) {
      try {
        if (segment.fd !== undefined) ftruncateSync(segment.fd, offset);
        else truncateSync(join(this._dir, segmentFileName(segment.id)), offset);
        this._addDiskBytes(offset - segment.bytes);
        segment.bytes = offset;
      } catch (err) {
        // The records stay on disk, unindexed: take no appends behind them,
        // and say so (after a restart they would be sent).
        this._retireFd(segment);
        this._log('error', 'cannot cut refused records off a queue segment', {
          downstream: this._downstream,
          dir: this._dir,
          segment: segment.id,
          offset,
          err,
        });
      }
    }
    this._reconcileSegmentGauge();
    this._metrics.rolledBackRecords.inc(n);
    return points;
  }

  /**
   * Syncs what is unsynced (unless `never`), writes the cursor, closes the
   * files and releases the directory. Idempotent. Pending peeks resolve
   * undefined afterwards and commits reject (their records are replayed
   * after a restart).
   */
  close(): Promise<void> {
    this._closing ??= this._close();
    return this._closing;
  }

  private async _close(): Promise<void> {
    this._isClosed = true;
    if (this._syncTimer !== undefined) clearInterval(this._syncTimer);
    try {
      if (this._fsync !== 'never') {
        await this._syncing?.catch(() => undefined);
        await this._syncRound();
      }
    } catch {
      // Logged by the round; closing goes on.
    }
    // _saveCursor logs a failed write itself.
    await this._persistCursor();
    this._cursorFile?.closeSync();
    for (const fd of this._retiredFds.splice(0)) closeQuietly(fd);
    for (const segment of this._segments) {
      if (segment.fd !== undefined) closeQuietly(segment.fd);
      segment.fd = undefined;
    }
    this._metrics.diskBytes.dec(this._diskBytes);
    this._metrics.segments.dec(this._segmentGauge);
    this._segmentGauge = 0;
    this._lock.release();
  }

  /** Rebuilds the index from the cursor and the segments on disk, repairing torn tails. */
  private _recover(): void {
    const dir = this._dir;
    const opened = QueueCursorFile.openSync(dir);
    this._cursorFile = opened.file;
    const { cursor, problem } = opened.read;
    if (problem !== undefined) {
      this._log(
        'warn',
        'queue cursor unreadable; replaying every segment (records may be sent twice)',
        {
          downstream: this._downstream,
          dir,
          problem,
        }
      );
    }
    const ids: number[] = [];
    for (const name of readdirSync(dir)) {
      const id = parseSegmentFileName(name);
      if (id !== undefined) ids.push(id);
    }
    ids.sort((a, b) => a - b);
    let maxId = cursor?.segment ?? 0;
    for (const id of ids) {
      maxId = Math.max(maxId, id);
      const path = join(dir, segmentFileName(id));
      if (cursor !== undefined && id < cursor.segment) {
        // Sent before the last run ended; its deletion had not happened yet.
        unlinkSync(path);
        continue;
      }
      const fromOffset =
        cursor !== undefined && id === cursor.segment ? cursor.offset : 0;
      const bytes = this._recoverSegment(id, path, fromOffset);
      if (bytes !== undefined) {
        this._segments.push({ id, bytes, fd: undefined });
        this._addDiskBytes(bytes);
      }
    }
    this._nextSegmentId = maxId + 1;
    // Segments wholly before the head were sent: delete them now.
    const headSegment =
      this._ring.count > 0 ? this._ring.segment(0) : Number.POSITIVE_INFINITY;
    while (this._segments.length > 0 && this._segments[0]!.id < headSegment) {
      const segment = this._segments.shift()!;
      unlinkSync(join(dir, segmentFileName(segment.id)));
      this._addDiskBytes(-segment.bytes);
    }
    // What was on disk is what the last run acknowledged: all released.
    this._releasedSeq = this._ring.count;
    this._reconcileSegmentGauge();
    if (this._ring.count > 0) {
      this._log('info', 'queue reopened; replaying what was not sent', {
        downstream: this._downstream,
        dir,
        records: this._ring.count,
        points: this._points,
        bytes: this._bytes,
        segments: this._segments.length,
        diskBytes: this._diskBytes,
      });
    }
  }

  /** The segments gauge (shared by a downstream's shards) moves by this queue's change. */
  private _reconcileSegmentGauge(): void {
    const count = this._segments.length;
    if (count !== this._segmentGauge) {
      this._metrics.segments.inc(count - this._segmentGauge);
      this._segmentGauge = count;
    }
  }

  /**
   * Scans one segment, indexing its records at or after `fromOffset`; cuts
   * off a torn or corrupt tail. Returns the bytes kept, or undefined when
   * the file was removed (nothing in it could be a record).
   */
  private _recoverSegment(
    id: number,
    path: string,
    fromOffset: number
  ): number | undefined {
    const fd = openSync(path, 'r+');
    try {
      const fileBytes = fstatSync(fd).size;
      const scan = scanSegmentSync(fd, fileBytes, record => {
        if (record.offset < fromOffset) return;
        this._ring.push(
          id,
          record.offset,
          record.length,
          record.points,
          record.appendedAtMs
        );
        this._points += record.points;
        this._bytes += record.length;
      });
      if (scan.problem === undefined) return fileBytes;
      // A file no longer than a segment header holds no record: a segment
      // created just before a crash, not lost data.
      const isCorrupt = fileBytes > SEGMENT_HEADER_BYTES || scan.validBytes > 0;
      if (isCorrupt) {
        const cutBytes = fileBytes - scan.validBytes;
        this._metrics.corruptRecords.inc();
        this._metrics.corruptBytes.inc(cutBytes);
        this._onDropped?.({
          reason: 'corrupt',
          records: 1,
          points: 0,
          bytes: cutBytes,
        });
        this._log(
          'warn',
          'queue segment has a torn or corrupt tail; cut it off',
          {
            downstream: this._downstream,
            file: path,
            offset: scan.validBytes,
            cutBytes,
            problem: scan.problem,
          }
        );
      }
      if (scan.validBytes < SEGMENT_HEADER_BYTES) {
        unlinkSync(path);
        return undefined;
      }
      ftruncateSync(fd, scan.validBytes);
      return scan.validBytes;
    } finally {
      closeQuietly(fd);
    }
  }

  /** The segment the next record goes to, rolling over to a new one when full. */
  private _writableSegment(recordBytes: number): Segment {
    const last = this._segments[this._segments.length - 1];
    if (
      last?.fd !== undefined &&
      (last.bytes === SEGMENT_HEADER_BYTES ||
        last.bytes + recordBytes <= this._segmentBytes)
    ) {
      return last;
    }
    // After open, appends never go to an old segment: its tail may have been cut.
    if (last !== undefined) this._retireFd(last);
    const id = this._nextSegmentId++;
    const path = join(this._dir, segmentFileName(id));
    const fd = openSync(path, 'wx');
    try {
      writeAllSync(fd, [encodeSegmentHeader()], 0);
    } catch (err) {
      closeQuietly(fd);
      rmSync(path, { force: true });
      throw err;
    }
    const segment: Segment = { id, bytes: SEGMENT_HEADER_BYTES, fd };
    this._segments.push(segment);
    this._addDiskBytes(SEGMENT_HEADER_BYTES);
    this._reconcileSegmentGauge();
    // The new directory entry must survive a power loss too.
    this._isDirDirty = true;
    return segment;
  }

  /**
   * With everything sent, the open segment holds only sent bytes: retire
   * it (so the cursor passes it and it is deleted now, not at rollover)
   * when it is big, or when the disk is short of space: on a small disk it
   * may never reach rollover, and its sent bytes would keep the disk full.
   */
  private async _retireSentSegment(): Promise<void> {
    const last = this._segments[this._segments.length - 1];
    if (last?.fd === undefined || last.bytes <= SEGMENT_HEADER_BYTES) return;
    if (last.bytes < RETIRE_SENT_SEGMENT_BYTES) {
      let freeBytes: number;
      try {
        const stats = await statfs(this._dir);
        freeBytes = stats.bavail * stats.bsize;
      } catch {
        return;
      }
      if (freeBytes >= LOW_FREE_DISK_BYTES) return;
    }
    // Appended meanwhile: those records are in it.
    if (this._ring.count === 0) this._retireOpenSegment();
  }

  /** Takes no more appends in the open segment: the next append starts a new one. */
  private _retireOpenSegment(): void {
    const last = this._segments[this._segments.length - 1];
    if (last !== undefined) this._retireFd(last);
  }

  private _retireFd(segment: Segment): void {
    if (segment.fd === undefined) return;
    if (this._fsync === 'never') closeQuietly(segment.fd);
    // Closed after the next fdatasync round covers it.
    else this._retiredFds.push(segment.fd);
    segment.fd = undefined;
  }

  private _failAppend(
    err: unknown,
    segment: Segment | undefined,
    offset: number
  ): never {
    if (segment?.fd !== undefined && offset > 0) {
      try {
        ftruncateSync(segment.fd, offset);
      } catch {
        // The scan on the next open cuts a partial record off anyway.
      }
    }
    this._failedUntilMs = this._now() + WRITE_FAILURE_PAUSE_MS;
    // The next append starts a new segment, so this one (with its sent
    // bytes) is deleted as soon as the consumer passes it: now, if it has.
    this._retireOpenSegment();
    if (this._ring.count === 0) this._persistCursorInBackground();
    const message = err instanceof Error ? err.message : String(err);
    this._log(
      'error',
      'cannot append to the queue; refusing appends for a while',
      {
        downstream: this._downstream,
        dir: this._dir,
        diskBytes: this._diskBytes,
        err,
      }
    );
    throw new OverloadedError(
      `cannot append to the forward queue of ${this._downstream}: ${message}`,
      'queue_unwritable',
      WRITE_FAILURE_PAUSE_MS,
      503,
      { cause: err }
    );
  }

  /** Reads and verifies the first `count` records (one read per segment). */
  private async _readHead(count: number): Promise<RecordsRead> {
    // Positions are copied first: the ring may shift while we await.
    const ring = this._ring;
    const segments = new Float64Array(count);
    const offsets = new Float64Array(count);
    const lengths = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      segments[i] = ring.segment(i);
      offsets[i] = ring.offset(i);
      lengths[i] = ring.length(i);
    }
    const fragments: Uint8Array[] = [];
    let i = 0;
    while (i < count) {
      const segment = segments[i]!;
      let j = i;
      while (j + 1 < count && segments[j + 1] === segment) j++;
      const start = offsets[i]!;
      const end = offsets[j]! + RECORD_HEADER_BYTES + lengths[j]!;
      const buffer = Buffer.allocUnsafe(end - start);
      const got = await readAt(
        join(this._dir, segmentFileName(segment)),
        buffer,
        start
      );
      for (let k = i; k <= j; k++) {
        const at = offsets[k]! - start;
        const length = lengths[k]!;
        const problem =
          at + RECORD_HEADER_BYTES + length > got
            ? `segment ends at ${start + got}, before the record's end`
            : checkRecord(buffer, at, length);
        if (problem !== undefined) {
          return { fragments, badIndex: k, problem };
        }
        fragments.push(
          buffer.subarray(
            at + RECORD_HEADER_BYTES,
            at + RECORD_HEADER_BYTES + length
          )
        );
      }
      i = j + 1;
    }
    return { fragments, badIndex: undefined, problem: undefined };
  }

  /** Drops head records older than maxAgeMs. */
  private _expire(): void {
    const maxAgeMs = this._maxAgeMs;
    const ring = this._ring;
    // Only released records: a held one belongs to a request not yet answered.
    const ready = this._releasedSeq - this._headSeq;
    if (maxAgeMs === undefined || ready <= 0) return;
    const cutoffMs = this._now() - maxAgeMs;
    if (ring.appendedAtMs(0) >= cutoffMs) return;
    let n = 1;
    while (n < ready && ring.appendedAtMs(n) < cutoffMs) n++;
    this._dropHead(n, 'expired');
  }

  /** Removes `n` head records unsent, counted, logged and reported. */
  private _dropHead(n: number, reason: QueueDrop['reason']): void {
    const { points, bytes } = this._removeHead(n);
    const drop: QueueDrop = { reason, records: n, points, bytes };
    if (reason === 'expired') {
      this._metrics.expiredRecords.inc(n);
      this._metrics.expiredPoints.inc(points);
      this._logExpiry(drop);
    } else {
      this._metrics.corruptRecords.inc(n);
      this._metrics.corruptBytes.inc(bytes + n * RECORD_HEADER_BYTES);
    }
    this._onDropped?.(drop);
    this._persistCursorInBackground();
  }

  private _persistCursorInBackground(): void {
    // _saveCursor logs its own failures; nothing else can reject.
    this._persistCursor().catch(() => undefined);
  }

  private _logExpiry(drop: QueueDrop): void {
    const total = this._expiredSinceLog;
    total.records += drop.records;
    total.points += drop.points;
    total.bytes += drop.bytes;
    const nowMs = this._now();
    if (nowMs - this._lastExpiryLogMs < EXPIRY_LOG_INTERVAL_MS) return;
    this._lastExpiryLogMs = nowMs;
    this._log('warn', 'queued records older than max_age dropped unsent', {
      downstream: this._downstream,
      dir: this._dir,
      maxAgeMs: this._maxAgeMs,
      ...total,
    });
    this._expiredSinceLog = { records: 0, points: 0, bytes: 0 };
  }

  private _removeHead(n: number): { points: number; bytes: number } {
    const ring = this._ring;
    const count = Math.min(n, ring.count);
    let points = 0;
    let bytes = 0;
    for (let i = 0; i < count; i++) {
      points += ring.points(i);
      bytes += ring.length(i);
    }
    ring.shift(count);
    this._headSeq += count;
    this._points -= points;
    this._bytes -= bytes;
    return { points, bytes };
  }

  /** Where the consumer stands: the head record, or the end of what was written. */
  private _headPosition(): QueuePosition {
    const ring = this._ring;
    if (ring.count > 0) {
      return { segment: ring.segment(0), offset: ring.offset(0) };
    }
    const last = this._segments[this._segments.length - 1];
    // A segment still open for appends gets its next record at its end;
    // otherwise any next record goes to a segment not created yet.
    if (last?.fd !== undefined) return { segment: last.id, offset: last.bytes };
    return { segment: this._nextSegmentId, offset: 0 };
  }

  /** Writes the cursor (coalescing concurrent requests), then deletes passed segments. */
  private async _persistCursor(): Promise<void> {
    const target = ++this._cursorChangeSeq;
    while (this._cursorSavedSeq < target) {
      this._cursorSaving ??= this._saveCursor().finally(() => {
        this._cursorSaving = undefined;
      });
      await this._cursorSaving;
    }
  }

  private async _saveCursor(): Promise<void> {
    const covers = this._cursorChangeSeq;
    const position = this._headPosition();
    try {
      await this._cursorFile?.write(position, this._fsync === 'always');
    } catch (err) {
      this._log(
        'warn',
        'cannot write the queue cursor; records may be sent twice after a restart',
        { downstream: this._downstream, dir: this._dir, err }
      );
    }
    this._cursorSavedSeq = Math.max(this._cursorSavedSeq, covers);
    // Sent segments go even if the cursor could not be written: a stale
    // cursor points at or before them, and replay from there starts at or
    // before the first unsent record (at least once). Keeping them would
    // keep a full disk full (issue 11, finding 2).
    const passed: Segment[] = [];
    while (
      this._segments.length > 0 &&
      this._segments[0]!.id < position.segment &&
      this._segments[0]!.fd === undefined
    ) {
      passed.push(this._segments.shift()!);
    }
    for (const segment of passed) {
      this._addDiskBytes(-segment.bytes);
      try {
        await rm(join(this._dir, segmentFileName(segment.id)), { force: true });
      } catch (err) {
        // The next open deletes it (it is before the cursor).
        this._log('warn', 'cannot delete a sent queue segment', {
          downstream: this._downstream,
          dir: this._dir,
          segment: segment.id,
          err,
        });
      }
    }
    this._reconcileSegmentGauge();
    // A deleted segment's space comes back only once its fd is closed, and
    // a retired fd is closed by the next fsync round: run one now.
    if (passed.length > 0 && !this._isClosed) this._syncIfDirty();
  }

  private _syncInBackground(): void {
    this._syncThrough(this._appendSeq).catch(() => {
      // Logged by the round; a request awaiting sync() gets the error.
    });
  }

  private _syncIfDirty(): void {
    if (
      this._syncedSeq >= this._appendSeq &&
      this._retiredFds.length === 0 &&
      !this._isDirDirty
    ) {
      return;
    }
    if (this._syncing !== undefined) return;
    this._syncing = this._syncRound().finally(() => {
      this._syncing = undefined;
    });
    this._syncing.catch(() => undefined);
  }

  /** Waits until an fdatasync round that started after append number `target` has finished. */
  private async _syncThrough(target: number): Promise<void> {
    while (this._syncedSeq < target) {
      this._syncing ??= this._syncRound().finally(() => {
        this._syncing = undefined;
      });
      await this._syncing;
    }
  }

  /** One fdatasync of every segment with unsynced appends (and the directory if it changed). */
  private async _syncRound(): Promise<void> {
    const covers = this._appendSeq;
    const retired = this._retiredFds.splice(0);
    const fds = [...retired];
    const last = this._segments[this._segments.length - 1];
    if (last?.fd !== undefined) fds.push(last.fd);
    const isDirDirty = this._isDirDirty;
    this._isDirDirty = false;
    const startedAt = performance.now();
    try {
      await Promise.all(fds.map(fd => fdatasyncAsync(fd)));
      if (isDirDirty) await syncDirectory(this._dir);
    } catch (err) {
      this._retiredFds.unshift(...retired);
      this._isDirDirty ||= isDirDirty;
      this._failedUntilMs = this._now() + WRITE_FAILURE_PAUSE_MS;
      this._log(
        'error',
        'cannot fsync the queue; the requests waiting for it are refused and their records cut off',
        {
          downstream: this._downstream,
          dir: this._dir,
          err,
        }
      );
      const message = err instanceof Error ? err.message : String(err);
      throw new OverloadedError(
        `cannot make the forward queue of ${this._downstream} durable: ${message}`,
        'queue_unwritable',
        WRITE_FAILURE_PAUSE_MS,
        503,
        { cause: err }
      );
    }
    for (const fd of retired) closeQuietly(fd);
    this._metrics.fsyncSeconds.observe((performance.now() - startedAt) / 1000);
    this._syncedSeq = Math.max(this._syncedSeq, covers);
  }

  private _addDiskBytes(bytes: number): void {
    this._diskBytes += bytes;
    this._metrics.diskBytes.inc(bytes);
  }
}

/** pwritev of `chunks` at `position`, finishing a short write piece by piece. */
function writeAllSync(
  fd: number,
  chunks: readonly Uint8Array[],
  position: number
): void {
  let total = 0;
  for (const chunk of chunks) total += chunk.byteLength;
  let written = writevSync(fd, chunks, position);
  if (written === total) return;
  let skip = written;
  for (const chunk of chunks) {
    if (skip >= chunk.byteLength) {
      skip -= chunk.byteLength;
      continue;
    }
    let at = skip;
    skip = 0;
    while (at < chunk.byteLength) {
      const n = writeSync(
        fd,
        chunk,
        at,
        chunk.byteLength - at,
        position + written
      );
      if (n === 0)
        throw new Error(`cannot write: no progress at ${position + written}`);
      at += n;
      written += n;
    }
  }
}

/** Reads into all of `buffer` from `position` of `path`; returns the bytes read (less at end of file). */
async function readAt(
  path: string,
  buffer: Buffer,
  position: number
): Promise<number> {
  const file = await openFile(path, 'r');
  try {
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await file.read(
        buffer,
        done,
        buffer.length - done,
        position + done
      );
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  } finally {
    await file.close();
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
