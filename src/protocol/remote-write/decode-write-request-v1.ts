/**
 * Decodes a Prometheus remote write 1.0 request (`prometheus.WriteRequest`,
 * already snappy-decompressed) into a SeriesBatch. Pure: no transport, no
 * logging. Field tables (prompb/remote.proto, prompb/types.proto):
 *
 * | message        | field                 | # | wire                |
 * |----------------|-----------------------|---|---------------------|
 * | WriteRequest   | timeseries            | 1 | 2 TimeSeries        |
 * |                | (reserved; Cortex `Source`) | 2 | skipped       |
 * |                | metadata              | 3 | 2 MetricMetadata    |
 * | TimeSeries     | labels                | 1 | 2 Label             |
 * |                | samples               | 2 | 2 Sample            |
 * |                | exemplars             | 3 | 2 Exemplar          |
 * |                | histograms            | 4 | 2 Histogram         |
 * | Label          | name, value           | 1, 2 | 2 string         |
 * | Sample         | value                 | 1 | 1 double            |
 * |                | timestamp (ms)        | 2 | 0 int64             |
 * | Exemplar       | labels                | 1 | 2 Label             |
 * |                | value                 | 2 | 1 double            |
 * |                | timestamp (ms)        | 3 | 0 int64             |
 * | MetricMetadata | type                  | 1 | 0 enum              |
 * |                | metric_family_name    | 2 | 2 string            |
 * |                | help, unit            | 4, 5 | 2 string         |
 * Histogram: see decode-histogram.ts.
 */
import { ProtobufReader } from '../wire/protobuf-reader.js';
import {
  MetricType,
  type MetricMetadata,
  type SeriesBatch,
} from '../../model/index.js';
import { checkpointOf, restoreCheckpoint } from './batch-checkpoint.js';
import { decodeHistogram } from './decode-histogram.js';
import type { DecodeStats } from './decode-stats.js';
import { readLabelName, readLabelValue } from './label-name-cache.js';
import {
  DEFAULT_REQUEST_LIMITS,
  RequestItemCounter,
  type RequestLimits,
} from '../request-limits.js';
import { finishSeriesLabels } from './series-labels.js';
import {
  expectEnd,
  fieldMask,
  metricTypeOf,
  skipField,
} from './wire-guards.js';
import {
  tooManyLabelPairs,
  tooManyPoints,
  tooManySeries,
  wrapDecodeError,
} from './write-request-error.js';
import { hashBytes, type SeriesLabelCache } from './series-label-cache.js';

const REQUEST_TIMESERIES = (1 << 3) | 2;
const REQUEST_METADATA = (3 << 3) | 2;
const REQUEST_FIELDS = fieldMask(1, 3);

const SERIES_LABELS = (1 << 3) | 2;
const SERIES_SAMPLES = (2 << 3) | 2;
const SERIES_EXEMPLARS = (3 << 3) | 2;
const SERIES_HISTOGRAMS = (4 << 3) | 2;
// Each pass checks the wire types of the fields it reads.
const SERIES_LABEL_FIELDS = fieldMask(1);
const SERIES_DATA_FIELDS = fieldMask(2, 3, 4);

const LABEL_NAME = (1 << 3) | 2;
const LABEL_VALUE = (2 << 3) | 2;
const LABEL_FIELDS = fieldMask(1, 2);

const SAMPLE_VALUE = (1 << 3) | 1;
const SAMPLE_TIMESTAMP = (2 << 3) | 0;
const SAMPLE_FIELDS = fieldMask(1, 2);

const EXEMPLAR_LABELS = (1 << 3) | 2;
const EXEMPLAR_VALUE = (2 << 3) | 1;
const EXEMPLAR_TIMESTAMP = (3 << 3) | 0;
const EXEMPLAR_FIELDS = fieldMask(1, 2, 3);

const METADATA_TYPE = (1 << 3) | 0;
const METADATA_FAMILY_NAME = (2 << 3) | 2;
const METADATA_HELP = (4 << 3) | 2;
const METADATA_UNIT = (5 << 3) | 2;
const METADATA_FIELDS = fieldMask(1, 2, 4, 5);

/** The caps of one decode call, passed down with the reader. */
interface DecodeCaps {
  readonly limits: RequestLimits;
  /** Label pairs of the request so far (maxLabelsPerRequest). */
  readonly labelPairs: RequestItemCounter;
}

/**
 * Appends every series of a remote write 1.0 request to `batch` (labels
 * validated, sorted, empty values dropped) and its metadata entries to
 * `batch.familyMetadata`. Strings are copied out of `body`, which may be
 * reused once this returns.
 *
 * `limits` caps the series, points and label pairs of the request and the
 * bytes of each label, checked as they are read (request-limits.ts). A
 * series taken from `cache` was checked when it was cached.
 *
 * @throws InvalidPayloadError (400) on a malformed request, naming the
 *   problem and the series; RequestLimitError (400 or 413) over a cap; the
 *   batch is then left as it was before the call.
 */
export function decodeWriteRequestV1(
  body: Uint8Array,
  batch: SeriesBatch,
  cache?: SeriesLabelCache,
  limits: RequestLimits = DEFAULT_REQUEST_LIMITS
): DecodeStats {
  const stats: DecodeStats = {
    series: 0,
    samples: 0,
    histograms: 0,
    exemplars: 0,
  };
  const caps: DecodeCaps = {
    limits,
    labelPairs: new RequestItemCounter(
      limits,
      'maxLabelsPerRequest',
      'label pairs'
    ),
  };
  const checkpoint = checkpointOf(batch);
  const reader = new ProtobufReader(body);
  const bodyBuffer =
    cache === undefined
      ? undefined
      : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  cache?.maintain();
  let metadataCount = 0;
  // The entry being read, named in the error message; kept as numbers so
  // that no string is built per series (-1: none).
  let atSeries = -1;
  let atMetadata = -1;
  try {
    while (reader.pos < body.length) {
      const tag = reader.uint32();
      if (tag === REQUEST_TIMESERIES) {
        atSeries = stats.series;
        if (stats.series === caps.limits.maxSeriesPerRequest) {
          throw tooManySeries(limits);
        }
        const seriesEnd = reader.delimitedEnd();
        if (
          bodyBuffer === undefined ||
          !decodeCachedLabels(
            reader,
            seriesEnd,
            bodyBuffer,
            cache!,
            batch,
            stats,
            caps
          )
        ) {
          decodeTimeSeries(reader, seriesEnd, batch, stats, caps);
        }
        stats.series++;
        atSeries = -1;
      } else if (tag === REQUEST_METADATA) {
        atMetadata = metadataCount;
        batch.familyMetadata.push(
          decodeMetricMetadata(reader, reader.delimitedEnd())
        );
        metadataCount++;
        atMetadata = -1;
      } else {
        skipField(reader, tag, REQUEST_FIELDS, 'WriteRequest');
      }
    }
  } catch (err) {
    // One try for the whole request: none inside the loops.
    restoreCheckpoint(batch, checkpoint);
    const where =
      atSeries !== -1
        ? `series ${atSeries}`
        : atMetadata !== -1
          ? `metadata ${atMetadata}`
          : '';
    throw wrapDecodeError(err, where);
  }
  return stats;
}

/**
 * One TimeSeries in two passes over its body, because protobuf allows its
 * fields in any order while the batch needs the labels first: pass 1 reads
 * the labels and notes where the first other field starts; pass 2 reads the
 * data from there. Senders put labels first, so pass 2 rescans nothing.
 */
function decodeTimeSeries(
  reader: ProtobufReader,
  end: number,
  batch: SeriesBatch,
  stats: DecodeStats,
  caps: DecodeCaps
): void {
  const labels: string[] = [];
  let dataStart = -1;
  while (reader.pos < end) {
    const fieldStart = reader.pos;
    const tag = reader.uint32();
    if (tag === SERIES_LABELS) {
      if (labels.length === 2 * caps.limits.maxLabelPairsPerSeries)
        throw tooManyLabelPairs(caps.limits);
      readLabel(reader, reader.delimitedEnd(), labels, caps);
    } else {
      if (dataStart === -1) dataStart = fieldStart;
      skipField(reader, tag, SERIES_LABEL_FIELDS, 'TimeSeries');
    }
  }
  expectEnd(reader, end, 'TimeSeries');
  batch.addSeries(finishSeriesLabels(labels, stats.series));
  if (dataStart !== -1)
    decodeSeriesData(reader, dataStart, end, batch, stats, caps);
}

/** Pass 2 of a TimeSeries: samples, histograms and exemplars from `dataStart`. */
function decodeSeriesData(
  reader: ProtobufReader,
  dataStart: number,
  end: number,
  batch: SeriesBatch,
  stats: DecodeStats,
  caps: DecodeCaps
): void {
  reader.pos = dataStart;
  let samples = 0;
  // Samples and histograms this series may still add (maxPointsPerRequest).
  let pointsLeft =
    caps.limits.maxPointsPerRequest - stats.samples - stats.histograms;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === SERIES_SAMPLES) {
      if (pointsLeft-- === 0) throw tooManyPoints(caps.limits);
      // Inlined: this is the per-sample path (no call, no object per sample).
      const sampleEnd = reader.delimitedEnd();
      let value = 0;
      let timestampMs = 0;
      while (reader.pos < sampleEnd) {
        const sampleTag = reader.uint32();
        if (sampleTag === SAMPLE_VALUE) value = reader.double();
        else if (sampleTag === SAMPLE_TIMESTAMP) timestampMs = reader.int64();
        else skipField(reader, sampleTag, SAMPLE_FIELDS, 'Sample');
      }
      expectEnd(reader, sampleEnd, 'Sample');
      batch.addSample(value, timestampMs);
      samples++;
    } else if (tag === SERIES_HISTOGRAMS) {
      if (pointsLeft-- === 0) throw tooManyPoints(caps.limits);
      batch.addHistogram(decodeHistogram(reader, reader.delimitedEnd(), false));
      stats.histograms++;
    } else if (tag === SERIES_EXEMPLARS) {
      decodeExemplar(reader, reader.delimitedEnd(), batch, caps);
      stats.exemplars++;
    } else if (tag === SERIES_LABELS) {
      reader.pos = reader.delimitedEnd();
    } else {
      skipField(reader, tag, SERIES_DATA_FIELDS, 'TimeSeries');
    }
  }
  stats.samples += samples;
}

/**
 * The series-cache path: when a series' Label fields come first (as every
 * sender writes them), its labels are looked up by their raw bytes, decoded
 * and validated only on a miss, and handed out as a stable array. Returns
 * false, having consumed nothing, when labels and data are interleaved; the
 * caller then takes the general path.
 */
function decodeCachedLabels(
  reader: ProtobufReader,
  end: number,
  body: Buffer,
  cache: SeriesLabelCache,
  batch: SeriesBatch,
  stats: DecodeStats,
  caps: DecodeCaps
): boolean {
  const labelsStart = reader.pos;
  let labelsEnd = labelsStart;
  let dataStart = -1;
  let labelCount = 0;
  while (reader.pos < end) {
    const fieldStart = reader.pos;
    const tag = reader.uint32();
    if (tag === SERIES_LABELS) {
      if (dataStart !== -1) {
        reader.pos = labelsStart;
        return false;
      }
      if (labelCount++ === caps.limits.maxLabelPairsPerSeries)
        throw tooManyLabelPairs(caps.limits);
      reader.pos = reader.delimitedEnd();
      labelsEnd = reader.pos;
    } else {
      if (dataStart === -1) dataStart = fieldStart;
      skipField(reader, tag, SERIES_LABEL_FIELDS, 'TimeSeries');
    }
  }
  expectEnd(reader, end, 'TimeSeries');
  const hash = hashBytes(body, labelsStart, labelsEnd);
  let labels = cache.get(body, labelsStart, labelsEnd, hash);
  if (labels === undefined) {
    const raw: string[] = [];
    reader.pos = labelsStart;
    while (reader.pos < labelsEnd) {
      reader.uint32();
      readLabel(reader, reader.delimitedEnd(), raw, caps);
    }
    labels = finishSeriesLabels(raw, stats.series);
    cache.set(body, labelsStart, labelsEnd, hash, labels);
  } else caps.labelPairs.add(labelCount);
  const index = batch.addSeries(labels);
  batch.stable[index] = 1;
  if (dataStart !== -1)
    decodeSeriesData(reader, dataStart, end, batch, stats, caps);
  else reader.pos = end;
  return true;
}

/** One Label message, appended to `labels` as a raw pair (validated later). */
function readLabel(
  reader: ProtobufReader,
  end: number,
  labels: string[],
  caps: DecodeCaps
): void {
  let name = '';
  let value = '';
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === LABEL_NAME) name = readLabelName(reader, caps.limits);
    else if (tag === LABEL_VALUE) value = readLabelValue(reader, caps.limits);
    else skipField(reader, tag, LABEL_FIELDS, 'Label');
  }
  expectEnd(reader, end, 'Label');
  caps.labelPairs.add(1);
  labels.push(name, value);
}

function decodeExemplar(
  reader: ProtobufReader,
  end: number,
  batch: SeriesBatch,
  caps: DecodeCaps
): void {
  const labels: string[] = [];
  let value = 0;
  let timestampMs = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === EXEMPLAR_LABELS) {
      if (labels.length === 2 * caps.limits.maxLabelPairsPerSeries)
        throw tooManyLabelPairs(caps.limits);
      readLabel(reader, reader.delimitedEnd(), labels, caps);
    } else if (tag === EXEMPLAR_VALUE) value = reader.double();
    else if (tag === EXEMPLAR_TIMESTAMP) timestampMs = reader.int64();
    else skipField(reader, tag, EXEMPLAR_FIELDS, 'Exemplar');
  }
  expectEnd(reader, end, 'Exemplar');
  batch.addExemplar({ labels, value, timestampMs });
}

function decodeMetricMetadata(
  reader: ProtobufReader,
  end: number
): MetricMetadata {
  let type: MetricType = MetricType.UNKNOWN;
  let familyName = '';
  let help = '';
  let unit = '';
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === METADATA_TYPE) type = metricTypeOf(reader.uint32());
    else if (tag === METADATA_FAMILY_NAME) familyName = reader.string();
    else if (tag === METADATA_HELP) help = reader.string();
    else if (tag === METADATA_UNIT) unit = reader.string();
    else skipField(reader, tag, METADATA_FIELDS, 'MetricMetadata');
  }
  expectEnd(reader, end, 'MetricMetadata');
  return { type, familyName, help, unit };
}
