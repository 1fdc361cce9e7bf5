/**
 * The batch every metrics protocol decodes into and every pipeline stage
 * works on. Samples are columnar (typed arrays indexed through per-series
 * offsets), so a request of N samples creates no object per sample. Each
 * series owns one flat label array `[name0, value0, name1, value1, …]`
 * sorted by name, because stages rewrite labels series by series.
 *
 * Histograms and exemplars are rare and structured, so they are objects.
 *
 * A batch is reusable: `reset()` keeps the typed arrays' capacity.
 */

/** Prometheus metric types, numbered as in the remote write protos. */
export const MetricType = {
  UNKNOWN: 0,
  COUNTER: 1,
  GAUGE: 2,
  HISTOGRAM: 3,
  GAUGEHISTOGRAM: 4,
  SUMMARY: 5,
  INFO: 6,
  STATESET: 7,
} as const;
export type MetricType = (typeof MetricType)[keyof typeof MetricType];

export interface MetricMetadata {
  readonly type: MetricType;
  readonly familyName: string;
  readonly help: string;
  readonly unit: string;
}

export interface BucketSpan {
  offset: number;
  length: number;
}

/** A Prometheus native histogram, field for field as remote write carries it. */
export interface NativeHistogram {
  /** Integer count (`count_int`), or undefined for a float histogram. */
  countInt: number | undefined;
  countFloat: number;
  sum: number;
  schema: number;
  zeroThreshold: number;
  zeroCountInt: number | undefined;
  zeroCountFloat: number;
  negativeSpans: BucketSpan[];
  negativeDeltas: number[];
  negativeCounts: number[];
  positiveSpans: BucketSpan[];
  positiveDeltas: number[];
  positiveCounts: number[];
  resetHint: number;
  timestampMs: number;
  customValues: number[];
  /** Remote write 2.0 `start_timestamp` / created timestamp; 0 when unset. */
  startTimestampMs: number;
}

export interface Exemplar {
  /** Flat `[name, value, …]`. */
  labels: string[];
  value: number;
  timestampMs: number;
}

/** Why a stage dropped a series; 0 means the series is live. */
export const DropReason = {
  NONE: 0,
  RELABEL: 1,
  CARDINALITY: 2,
  LABEL_LIMIT: 3,
  HA_REPLICA: 4,
  INVALID: 5,
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

const INITIAL_SERIES = 256;
const INITIAL_SAMPLES = 1024;

export class SeriesBatch {
  /** Number of series added. */
  seriesCount = 0;
  /** Number of float samples added (over all series). */
  sampleCount = 0;
  /** Flat sorted label pairs per series. */
  labels: string[][] = [];
  /** Metadata per series, when the protocol carried it; shared per family. */
  metadata: (MetricMetadata | undefined)[] = [];
  /** Family metadata that came without series (remote write 1.0 `metadata`). */
  familyMetadata: MetricMetadata[] = [];
  /** Samples of series i are at [sampleStart[i], sampleStart[i+1]). */
  sampleStart: Uint32Array = new Uint32Array(INITIAL_SERIES + 1);
  values: Float64Array = new Float64Array(INITIAL_SAMPLES);
  /** Milliseconds since the epoch (int64 on the wire; exact up to 2^53). */
  timestamps: Float64Array = new Float64Array(INITIAL_SAMPLES);
  /** Created timestamp per sample in ms; 0 when unset. */
  startTimestamps: Float64Array = new Float64Array(INITIAL_SAMPLES);
  /** Native histograms of series i are histograms[histogramStart[i] … histogramStart[i+1]). */
  histograms: NativeHistogram[] = [];
  histogramStart: Uint32Array = new Uint32Array(INITIAL_SERIES + 1);
  exemplars: Exemplar[] = [];
  exemplarStart: Uint32Array = new Uint32Array(INITIAL_SERIES + 1);
  /** Per series: a DropReason, 0 while the series is live. */
  dropped: Uint8Array = new Uint8Array(INITIAL_SERIES + 1);
  /**
   * Per series: 1 when `labels[i]` is a stable array, the same object every
   * time this series arrives (the decoder's series cache handed it out, or a
   * stage memoized its output for one). Stages may memoize per-series work
   * keyed by a stable array's identity; they must never mutate label arrays.
   */
  stable: Uint8Array = new Uint8Array(INITIAL_SERIES + 1);
  /**
   * 64-bit series hashes as [hi, lo] at 2·i, valid when `isHashed` (set by
   * the cardinality stage, reused by the forwarder to pick a shard): a series
   * is hashed once per request.
   */
  seriesHashes: Uint32Array = new Uint32Array(2 * (INITIAL_SERIES + 1));
  isHashed = false;

  /** Empties the batch and keeps its typed arrays for the next request. */
  reset(): void {
    this.seriesCount = 0;
    this.sampleCount = 0;
    this.labels.length = 0;
    this.metadata.length = 0;
    this.familyMetadata.length = 0;
    this.histograms.length = 0;
    this.exemplars.length = 0;
    this.isHashed = false;
  }

  /**
   * Adds a series with its labels (flat pairs; the batch takes ownership of
   * the array). Samples, histograms and exemplars added next belong to it
   * until the next `addSeries`.
   */
  addSeries(labels: string[], metadata?: MetricMetadata): number {
    const index = this.seriesCount;
    if (index + 1 >= this.sampleStart.length) this._growSeries();
    this.labels[index] = labels;
    this.metadata[index] = metadata;
    this.dropped[index] = DropReason.NONE;
    this.stable[index] = 0;
    this.sampleStart[index] = this.sampleCount;
    this.sampleStart[index + 1] = this.sampleCount;
    this.histogramStart[index] = this.histograms.length;
    this.histogramStart[index + 1] = this.histograms.length;
    this.exemplarStart[index] = this.exemplars.length;
    this.exemplarStart[index + 1] = this.exemplars.length;
    this.seriesCount = index + 1;
    return index;
  }

  /** Appends a float sample to the last series added. */
  addSample(value: number, timestampMs: number, startTimestampMs = 0): void {
    const at = this.sampleCount;
    if (at >= this.values.length) this._growSamples();
    this.values[at] = value;
    this.timestamps[at] = timestampMs;
    this.startTimestamps[at] = startTimestampMs;
    this.sampleCount = at + 1;
    this.sampleStart[this.seriesCount] = at + 1;
  }

  /** Appends a native histogram to the last series added. */
  addHistogram(histogram: NativeHistogram): void {
    this.histograms.push(histogram);
    this.histogramStart[this.seriesCount] = this.histograms.length;
  }

  /** Appends an exemplar to the last series added. */
  addExemplar(exemplar: Exemplar): void {
    this.exemplars.push(exemplar);
    this.exemplarStart[this.seriesCount] = this.exemplars.length;
  }

  /** Live (not dropped) series. */
  liveSeriesCount(): number {
    let live = 0;
    for (let i = 0; i < this.seriesCount; i++)
      if (this.dropped[i] === 0) live++;
    return live;
  }

  /** Float samples plus histograms of the series not dropped. */
  liveSampleCount(): number {
    let live = 0;
    for (let i = 0; i < this.seriesCount; i++) {
      if (this.dropped[i] !== 0) continue;
      live += this.sampleStart[i + 1]! - this.sampleStart[i]!;
      live += this.histogramStart[i + 1]! - this.histogramStart[i]!;
    }
    return live;
  }

  /** Float samples plus histograms of series i. */
  pointsOf(series: number): number {
    return (
      this.sampleStart[series + 1]! -
      this.sampleStart[series]! +
      this.histogramStart[series + 1]! -
      this.histogramStart[series]!
    );
  }

  /**
   * Gives back typed-array capacity beyond what `series` series and
   * `samples` samples need, rounded up the way the batch grows (so a batch
   * trimmed to its own demand does not grow again). Contents are dropped:
   * call on an empty (reset) batch only. Reallocates only when a column is
   * larger than that size.
   */
  shrinkTo(series: number, samples: number): void {
    let seriesSlots = INITIAL_SERIES + 1;
    while (seriesSlots <= series) seriesSlots *= 2;
    if (this.sampleStart.length > seriesSlots) {
      this.sampleStart = new Uint32Array(seriesSlots);
      this.histogramStart = new Uint32Array(seriesSlots);
      this.exemplarStart = new Uint32Array(seriesSlots);
      this.dropped = new Uint8Array(seriesSlots);
      this.stable = new Uint8Array(seriesSlots);
      this.seriesHashes = new Uint32Array(2 * seriesSlots);
    }
    let sampleSlots = INITIAL_SAMPLES;
    while (sampleSlots < samples) sampleSlots *= 2;
    if (this.values.length > sampleSlots) {
      this.values = new Float64Array(sampleSlots);
      this.timestamps = new Float64Array(sampleSlots);
      this.startTimestamps = new Float64Array(sampleSlots);
    }
  }

  /** Bytes of the typed arrays' capacity (what the batch keeps when reused). */
  capacityBytes(): number {
    return (
      this.sampleStart.byteLength +
      this.histogramStart.byteLength +
      this.exemplarStart.byteLength +
      this.dropped.byteLength +
      this.stable.byteLength +
      this.seriesHashes.byteLength +
      this.values.byteLength +
      this.timestamps.byteLength +
      this.startTimestamps.byteLength
    );
  }

  private _growSeries(): void {
    const size = this.sampleStart.length * 2;
    this.sampleStart = growUint32(this.sampleStart, size);
    this.histogramStart = growUint32(this.histogramStart, size);
    this.exemplarStart = growUint32(this.exemplarStart, size);
    const dropped = new Uint8Array(size);
    dropped.set(this.dropped);
    this.dropped = dropped;
    const stable = new Uint8Array(size);
    stable.set(this.stable);
    this.stable = stable;
    this.seriesHashes = growUint32(this.seriesHashes, 2 * size);
  }

  private _growSamples(): void {
    const size = this.values.length * 2;
    this.values = growFloat64(this.values, size);
    this.timestamps = growFloat64(this.timestamps, size);
    this.startTimestamps = growFloat64(this.startTimestamps, size);
  }
}

function growUint32(from: Uint32Array, size: number): Uint32Array {
  const to = new Uint32Array(size);
  to.set(from);
  return to;
}

function growFloat64(from: Float64Array, size: number): Float64Array {
  const to = new Float64Array(size);
  to.set(from);
  return to;
}
