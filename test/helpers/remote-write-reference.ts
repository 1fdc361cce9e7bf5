/**
 * A reference remote write codec built by protobufjs from the .proto files
 * in test/fixtures/proto/prometheus, for tests only: differential checks of
 * the hand-written codec, and request bodies for handler and end-to-end
 * tests. Objects use protobufjs' camelCase field names (`labelsRefs`,
 * `metricFamilyName`, `startTimestamp`, …); int64 fields are JS numbers.
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type {
  NativeHistogram,
  SeriesBatch,
} from '../../src/model/series-batch.js';

export interface LabelObject {
  name?: string;
  value?: string;
}

export interface SampleObject {
  value?: number;
  /** ms since the epoch. */
  timestamp?: number;
}

export interface ExemplarObject {
  labels?: LabelObject[];
  value?: number;
  timestamp?: number;
}

export interface BucketSpanObject {
  offset?: number;
  length?: number;
}

/** Both versions' Histogram; `startTimestamp` exists in 2.0 only. */
export interface HistogramObject {
  countInt?: number;
  countFloat?: number;
  sum?: number;
  schema?: number;
  zeroThreshold?: number;
  zeroCountInt?: number;
  zeroCountFloat?: number;
  negativeSpans?: BucketSpanObject[];
  negativeDeltas?: number[];
  negativeCounts?: number[];
  positiveSpans?: BucketSpanObject[];
  positiveDeltas?: number[];
  positiveCounts?: number[];
  resetHint?: number;
  timestamp?: number;
  customValues?: number[];
  startTimestamp?: number;
}

export interface TimeSeriesV1Object {
  labels?: LabelObject[];
  samples?: SampleObject[];
  exemplars?: ExemplarObject[];
  histograms?: HistogramObject[];
}

export interface MetricMetadataObject {
  type?: number;
  metricFamilyName?: string;
  help?: string;
  unit?: string;
}

/** `prometheus.WriteRequest`. */
export interface WriteRequestV1Object {
  timeseries?: TimeSeriesV1Object[];
  metadata?: MetricMetadataObject[];
}

export interface SampleV2Object {
  value?: number;
  timestamp?: number;
  startTimestamp?: number;
}

export interface ExemplarV2Object {
  labelsRefs?: number[];
  value?: number;
  timestamp?: number;
}

export interface MetadataV2Object {
  type?: number;
  helpRef?: number;
  unitRef?: number;
}

export interface TimeSeriesV2Object {
  labelsRefs?: number[];
  samples?: SampleV2Object[];
  histograms?: HistogramObject[];
  exemplars?: ExemplarV2Object[];
  metadata?: MetadataV2Object;
}

/** `io.prometheus.write.v2.Request`. */
export interface RequestV2Object {
  symbols?: string[];
  timeseries?: TimeSeriesV2Object[];
}

const PROTO_DIR = fileURLToPath(
  new URL('../fixtures/proto/prometheus/', import.meta.url)
);

const root = protobuf.loadSync([
  `${PROTO_DIR}remote.proto`,
  `${PROTO_DIR}write_v2.proto`,
]);
const WriteRequestV1 = root.lookupType('prometheus.WriteRequest');
const RequestV2 = root.lookupType('io.prometheus.write.v2.Request');

// defaults: every non-oneof field is present, so decoded objects compare
// equal to fully specified ones whatever the encoder chose to omit.
const TO_OBJECT: protobuf.IConversionOptions = {
  longs: Number,
  enums: Number,
  arrays: true,
  defaults: true,
};

/** Uncompressed `prometheus.WriteRequest` bytes for `request`. */
export function encodeV1Request(request: WriteRequestV1Object): Uint8Array {
  return encodeWith(WriteRequestV1, request);
}

/** Uncompressed `io.prometheus.write.v2.Request` bytes for `request`. */
export function encodeV2Request(request: RequestV2Object): Uint8Array {
  return encodeWith(RequestV2, request);
}

/** Decodes `prometheus.WriteRequest` bytes with protobufjs (every non-oneof field present). */
export function decodeV1Request(body: Uint8Array): WriteRequestV1Object {
  return WriteRequestV1.toObject(WriteRequestV1.decode(body), TO_OBJECT);
}

/** Decodes `io.prometheus.write.v2.Request` bytes with protobufjs. */
export function decodeV2Request(body: Uint8Array): RequestV2Object {
  return RequestV2.toObject(RequestV2.decode(body), TO_OBJECT);
}

function encodeWith(type: protobuf.Type, request: object): Uint8Array {
  const problem = type.verify(request);
  if (problem !== null)
    throw new Error(`cannot encode ${type.fullName}: ${problem}`);
  // encode() takes the plain object as is: numbers for int64 fields, and
  // doubles copied without a conversion that could touch NaN payloads.
  const bytes = type.encode(request).finish();
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A seeded PRNG (mulberry32) returning [0, 1): reproducible random tests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The stale marker (remote write 1.0 §stale markers): NaN with payload 2. */
export const STALE_NAN = new Float64Array(
  new BigUint64Array([0x7ff0000000000002n]).buffer
)[0]!;

/**
 * The IEEE-754 bits of a double. Through a DataView on purpose: an array
 * literal such as `[x]` may store NaN canonicalized.
 */
export function float64Bits(value: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value, true);
  return view.getBigUint64(0, true);
}

const NAMES = [
  'job',
  'instance',
  'pod',
  'namespace',
  'le',
  'code',
  'method',
  'a',
  'zz',
  '_x',
];
const VALUES = [
  'api',
  '10.0.0.1:9100',
  'prod-eu',
  'GET',
  '200',
  'ünïcödé',
  '日本語',
  '🚀 rocket',
  'x'.repeat(40),
  '"quoted"\n',
];
const METRIC_NAMES = [
  'up',
  'http_requests_total',
  'process_cpu_seconds_total',
  'node_load1',
  'ns:metric:rate5m',
];
const SPECIAL_VALUES = [
  0,
  -0,
  1,
  -1,
  0.1,
  1e308,
  -1e-308,
  5e-324,
  Infinity,
  -Infinity,
  NaN,
  STALE_NAN,
  2 ** 53,
  123456.789,
];
const SPECIAL_TIMESTAMPS = [
  0,
  1,
  -1,
  127,
  128,
  -128,
  2 ** 31,
  2 ** 32,
  -(2 ** 32),
  2 ** 53 - 1,
  -(2 ** 53 - 1),
  1_700_000_000_000,
];

function pick<T>(random: () => number, from: readonly T[]): T {
  return from[Math.floor(random() * from.length)]!;
}

function randomInt(random: () => number, below: number): number {
  return Math.floor(random() * below);
}

function randomValue(random: () => number): number {
  return random() < 0.5
    ? pick(random, SPECIAL_VALUES)
    : (random() - 0.5) * 10 ** randomInt(random, 12);
}

function randomTimestamp(random: () => number): number {
  return random() < 0.4
    ? pick(random, SPECIAL_TIMESTAMPS)
    : 1_600_000_000_000 + randomInt(random, 2 ** 40);
}

/** A sorted, duplicate-free label set with a metric name and no empty values. */
function randomLabelSet(random: () => number): LabelObject[] {
  const names = new Set<string>(['__name__']);
  for (let n = randomInt(random, 6); n > 0; n--) names.add(pick(random, NAMES));
  return [...names].sort().map(name => ({
    name,
    value:
      name === '__name__' ? pick(random, METRIC_NAMES) : pick(random, VALUES),
  }));
}

function randomHistogram(
  random: () => number,
  withStartTimestamp: boolean
): HistogramObject {
  const isFloat = random() < 0.5;
  const histogram: HistogramObject = {};
  if (isFloat) histogram.countFloat = randomValue(random);
  else histogram.countInt = randomInt(random, 2 ** 40);
  histogram.sum = randomValue(random);
  histogram.schema = randomInt(random, 13) - 4;
  histogram.zeroThreshold = random() < 0.5 ? 0 : 2 ** -128;
  if (isFloat) histogram.zeroCountFloat = randomValue(random);
  else histogram.zeroCountInt = randomInt(random, 1000);
  const spans = (): BucketSpanObject[] =>
    Array.from({ length: randomInt(random, 3) }, () => ({
      offset: randomInt(random, 20) - 10,
      length: randomInt(random, 5),
    }));
  const deltas = (): number[] =>
    Array.from(
      { length: randomInt(random, 5) },
      () => randomInt(random, 2 ** 33) - 2 ** 32
    );
  const counts = (): number[] =>
    Array.from({ length: randomInt(random, 5) }, () => randomValue(random));
  histogram.negativeSpans = spans();
  histogram.negativeDeltas = isFloat ? [] : deltas();
  histogram.negativeCounts = isFloat ? counts() : [];
  histogram.positiveSpans = spans();
  histogram.positiveDeltas = isFloat ? [] : deltas();
  histogram.positiveCounts = isFloat ? counts() : [];
  histogram.resetHint = randomInt(random, 4);
  histogram.timestamp = randomTimestamp(random);
  histogram.customValues = random() < 0.8 ? [] : counts();
  if (withStartTimestamp)
    histogram.startTimestamp = random() < 0.5 ? 0 : randomTimestamp(random);
  return histogram;
}

/**
 * A random, valid, fully specified (every field present, as decodeV1Request
 * returns it) remote write 1.0 request.
 */
export function randomV1Request(
  random: () => number,
  maxSeries = 8
): WriteRequestV1Object {
  const timeseries: TimeSeriesV1Object[] = [];
  for (let n = randomInt(random, maxSeries + 1); n > 0; n--) {
    timeseries.push({
      labels: randomLabelSet(random),
      samples: Array.from({ length: randomInt(random, 4) }, () => ({
        value: randomValue(random),
        timestamp: randomTimestamp(random),
      })),
      exemplars: Array.from({ length: randomInt(random, 2) }, () => ({
        labels:
          random() < 0.5
            ? []
            : [
                {
                  name: 'trace_id',
                  value: randomInt(random, 2 ** 31).toString(16),
                },
              ],
        value: randomValue(random),
        timestamp: randomTimestamp(random),
      })),
      histograms: Array.from(
        { length: random() < 0.7 ? 0 : 1 + randomInt(random, 2) },
        () => randomHistogram(random, false)
      ),
    });
  }
  const metadata: MetricMetadataObject[] = Array.from(
    { length: randomInt(random, 3) },
    (_, i) => ({
      type: randomInt(random, 8),
      metricFamilyName: `${pick(random, METRIC_NAMES)}_${i}`,
      help: random() < 0.3 ? '' : `Help text ${i} ✓`,
      unit: random() < 0.5 ? '' : 'seconds',
    })
  );
  return { timeseries, metadata };
}

/**
 * A random, valid, fully specified remote write 2.0 request: each series
 * has samples or histograms (never both), metadata, and exemplars.
 */
export function randomV2Request(
  random: () => number,
  maxSeries = 8
): RequestV2Object {
  const symbols = [''];
  const refs = new Map<string, number>([['', 0]]);
  const ref = (text: string): number => {
    let at = refs.get(text);
    if (at === undefined) {
      at = symbols.length;
      symbols.push(text);
      refs.set(text, at);
    }
    return at;
  };
  const timeseries: TimeSeriesV2Object[] = [];
  for (let n = randomInt(random, maxSeries + 1); n > 0; n--) {
    const labelsRefs: number[] = [];
    for (const label of randomLabelSet(random))
      labelsRefs.push(ref(label.name!), ref(label.value!));
    const hasHistograms = random() < 0.3;
    timeseries.push({
      labelsRefs,
      samples: hasHistograms
        ? []
        : Array.from({ length: randomInt(random, 4) }, () => ({
            value: randomValue(random),
            timestamp: randomTimestamp(random),
            startTimestamp: random() < 0.5 ? 0 : randomTimestamp(random),
          })),
      histograms: hasHistograms
        ? Array.from({ length: 1 + randomInt(random, 2) }, () =>
            randomHistogram(random, true)
          )
        : [],
      exemplars: Array.from({ length: randomInt(random, 2) }, () => ({
        labelsRefs:
          random() < 0.5
            ? []
            : [ref('trace_id'), ref(randomInt(random, 2 ** 31).toString(16))],
        value: randomValue(random),
        timestamp: randomTimestamp(random),
      })),
      metadata: {
        type: randomInt(random, 8),
        helpRef: random() < 0.3 ? 0 : ref('Help text ✓'),
        unitRef: random() < 0.5 ? 0 : ref('seconds'),
      },
    });
  }
  return { symbols, timeseries };
}

/** A decoded histogram in the reference object form (all fields present). */
export function histogramToObject(
  h: NativeHistogram,
  withStartTimestamp: boolean
): HistogramObject {
  const object: HistogramObject = {};
  if (h.countInt === undefined) object.countFloat = h.countFloat;
  else object.countInt = h.countInt;
  object.sum = h.sum;
  object.schema = h.schema;
  object.zeroThreshold = h.zeroThreshold;
  if (h.zeroCountInt === undefined) object.zeroCountFloat = h.zeroCountFloat;
  else object.zeroCountInt = h.zeroCountInt;
  object.negativeSpans = h.negativeSpans.map(span => ({ ...span }));
  object.negativeDeltas = [...h.negativeDeltas];
  object.negativeCounts = [...h.negativeCounts];
  object.positiveSpans = h.positiveSpans.map(span => ({ ...span }));
  object.positiveDeltas = [...h.positiveDeltas];
  object.positiveCounts = [...h.positiveCounts];
  object.resetHint = h.resetHint;
  object.timestamp = h.timestampMs;
  object.customValues = [...h.customValues];
  if (withStartTimestamp) object.startTimestamp = h.startTimestampMs;
  return object;
}

/**
 * Every series of `batch` (dropped or not) and its familyMetadata in the
 * reference object form, to compare a decoded batch with the request it came
 * from. Start timestamps (2.0 only) are kept in an extra `startTimestamp`
 * per sample and histogram when asked.
 */
export function batchToV1Object(
  batch: SeriesBatch,
  withStartTimestamps = false
): WriteRequestV1Object {
  const timeseries: TimeSeriesV1Object[] = [];
  for (let i = 0; i < batch.seriesCount; i++) {
    const flat = batch.labels[i]!;
    const labels: LabelObject[] = [];
    for (let j = 0; j < flat.length; j += 2)
      labels.push({ name: flat[j]!, value: flat[j + 1]! });
    const samples: SampleV2Object[] = [];
    for (let j = batch.sampleStart[i]!; j < batch.sampleStart[i + 1]!; j++) {
      const sample: SampleV2Object = {
        value: batch.values[j]!,
        timestamp: batch.timestamps[j]!,
      };
      if (withStartTimestamps)
        sample.startTimestamp = batch.startTimestamps[j]!;
      samples.push(sample);
    }
    const exemplars: ExemplarObject[] = [];
    for (
      let j = batch.exemplarStart[i]!;
      j < batch.exemplarStart[i + 1]!;
      j++
    ) {
      const exemplar = batch.exemplars[j]!;
      const exemplarLabels: LabelObject[] = [];
      for (let k = 0; k < exemplar.labels.length; k += 2) {
        exemplarLabels.push({
          name: exemplar.labels[k]!,
          value: exemplar.labels[k + 1]!,
        });
      }
      exemplars.push({
        labels: exemplarLabels,
        value: exemplar.value,
        timestamp: exemplar.timestampMs,
      });
    }
    const histograms: HistogramObject[] = [];
    for (
      let j = batch.histogramStart[i]!;
      j < batch.histogramStart[i + 1]!;
      j++
    ) {
      histograms.push(
        histogramToObject(batch.histograms[j]!, withStartTimestamps)
      );
    }
    timeseries.push({ labels, samples, exemplars, histograms });
  }
  const metadata = batch.familyMetadata.map(meta => ({
    type: meta.type,
    metricFamilyName: meta.familyName,
    help: meta.help,
    unit: meta.unit,
  }));
  return { timeseries, metadata };
}
