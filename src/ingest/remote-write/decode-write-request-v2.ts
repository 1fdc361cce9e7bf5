/**
 * Decodes a Prometheus remote write 2.0 request
 * (`io.prometheus.write.v2.Request`, rc.4, already snappy-decompressed) into
 * a SeriesBatch. Pure: no transport, no logging. Field table
 * (prompb/io/prometheus/write/v2/types.proto):
 *
 * | message    | field                    | #     | wire                   |
 * |------------|--------------------------|-------|------------------------|
 * | Request    | (reserved)               | 1-3   | skipped                |
 * |            | symbols                  | 4     | 2 string               |
 * |            | timeseries               | 5     | 2 TimeSeries           |
 * | TimeSeries | labels_refs              | 1     | 2 packed uint32, or 0  |
 * |            | samples                  | 2     | 2 Sample               |
 * |            | histograms               | 3     | 2 Histogram            |
 * |            | exemplars                | 4     | 2 Exemplar             |
 * |            | metadata                 | 5     | 2 Metadata             |
 * | Sample     | value                    | 1     | 1 double               |
 * |            | timestamp (ms)           | 2     | 0 int64                |
 * |            | start_timestamp (ms)     | 3     | 0 int64 (rc.4)         |
 * | Exemplar   | labels_refs              | 1     | 2 packed uint32, or 0  |
 * |            | value                    | 2     | 1 double               |
 * |            | timestamp (ms)           | 3     | 0 int64                |
 * | Metadata   | type                     | 1     | 0 enum                 |
 * |            | help_ref, unit_ref       | 3, 4  | 0 uint32               |
 * Histogram: see decode-histogram.ts (field 17 = start_timestamp).
 *
 * Every `*_ref` indexes `symbols`, whose entry 0 MUST be "" (2.0 §symbols).
 */
import { ProtobufReader } from '../../codec/protobuf-reader.js';
import { METRIC_NAME_LABEL, getLabel } from '../../model/labels.js';
import type { MetricMetadata, SeriesBatch } from '../../model/series-batch.js';
import { checkpointOf, restoreCheckpoint } from './batch-checkpoint.js';
import { decodeHistogram } from './decode-histogram.js';
import type { DecodeStats } from './decode-stats.js';
import { finishSeriesLabels } from './series-labels.js';
import {
  expectEnd,
  fieldMask,
  metricTypeOf,
  skipField,
} from './wire-guards.js';
import {
  describeSeries,
  wrapDecodeError,
  writeRequestError,
} from './write-request-error.js';

const REQUEST_SYMBOLS = (4 << 3) | 2;
const REQUEST_TIMESERIES = (5 << 3) | 2;
const REQUEST_FIELDS = fieldMask(4, 5);

const SERIES_LABELS_REFS_PACKED = (1 << 3) | 2;
const SERIES_LABELS_REFS = (1 << 3) | 0;
const SERIES_SAMPLES = (2 << 3) | 2;
const SERIES_HISTOGRAMS = (3 << 3) | 2;
const SERIES_EXEMPLARS = (4 << 3) | 2;
const SERIES_METADATA = (5 << 3) | 2;
// Each pass checks the wire types of the fields it reads.
const SERIES_LABEL_FIELDS = fieldMask(1, 5);
const SERIES_DATA_FIELDS = fieldMask(2, 3, 4);

const SAMPLE_VALUE = (1 << 3) | 1;
const SAMPLE_TIMESTAMP = (2 << 3) | 0;
const SAMPLE_START_TIMESTAMP = (3 << 3) | 0;
const SAMPLE_FIELDS = fieldMask(1, 2, 3);

const EXEMPLAR_LABELS_REFS_PACKED = (1 << 3) | 2;
const EXEMPLAR_LABELS_REFS = (1 << 3) | 0;
const EXEMPLAR_VALUE = (2 << 3) | 1;
const EXEMPLAR_TIMESTAMP = (3 << 3) | 0;
const EXEMPLAR_FIELDS = fieldMask(1, 2, 3);

const METADATA_TYPE = (1 << 3) | 0;
const METADATA_HELP_REF = (3 << 3) | 0;
const METADATA_UNIT_REF = (4 << 3) | 0;
const METADATA_FIELDS = fieldMask(1, 3, 4);

const MAX_QUOTED_SYMBOL_CHARS = 64;

/** Per-request state the series decoder needs. */
interface RequestContext {
  readonly batch: SeriesBatch;
  readonly symbols: readonly string[];
  /** One MetricMetadata per family name, shared by the family's series. */
  readonly families: Map<string, MetricMetadata>;
  readonly stats: DecodeStats;
}

/**
 * Appends every series of a remote write 2.0 request to `batch`: labels
 * resolved through the symbol table and validated, float samples with their
 * start timestamps, native histograms, exemplars, and the series metadata as
 * one MetricMetadata object per family (`familyName` is the metric name)
 * shared by the family's series in this request. Strings are copied out of
 * `body`, which may be reused once this returns.
 *
 * Symbols are read in a first pass over the request and series in a second,
 * so a sender may put `symbols` after (or between) its `timeseries`.
 *
 * @throws InvalidPayloadError (400) on a malformed request, naming the
 *   problem and the series; the batch is then left as it was before the call.
 */
export function decodeWriteRequestV2(
  body: Uint8Array,
  batch: SeriesBatch
): DecodeStats {
  const stats: DecodeStats = {
    series: 0,
    samples: 0,
    histograms: 0,
    exemplars: 0,
  };
  const checkpoint = checkpointOf(batch);
  const reader = new ProtobufReader(body);
  const symbols: string[] = [];
  // The entry being read, named in the error message; kept as numbers so
  // that no string is built per series (-1: none).
  let atSymbol = -1;
  let atSeries = -1;
  try {
    // Pass 1: the symbol table; series are only stepped over.
    let firstSeriesAt = -1;
    let seriesSeen = 0;
    while (reader.pos < body.length) {
      const fieldStart = reader.pos;
      const tag = reader.uint32();
      if (tag === REQUEST_SYMBOLS) {
        atSymbol = symbols.length;
        symbols.push(reader.string());
        atSymbol = -1;
      } else if (tag === REQUEST_TIMESERIES) {
        atSeries = seriesSeen;
        if (firstSeriesAt === -1) firstSeriesAt = fieldStart;
        reader.pos = reader.delimitedEnd();
        seriesSeen++;
        atSeries = -1;
      } else {
        skipField(reader, tag, REQUEST_FIELDS, 'Request');
      }
    }
    const first = symbols[0];
    if (first !== undefined && first !== '') {
      throw writeRequestError(
        `symbols[0] must be the empty string, got ${quote(first)}`
      );
    }
    if (firstSeriesAt === -1) return stats;

    // Pass 2: the series, from the first one on.
    const context: RequestContext = {
      batch,
      symbols,
      families: new Map(),
      stats,
    };
    reader.pos = firstSeriesAt;
    while (reader.pos < body.length) {
      const tag = reader.uint32();
      if (tag === REQUEST_TIMESERIES) {
        atSeries = stats.series;
        decodeTimeSeries(reader, reader.delimitedEnd(), context);
        stats.series++;
        atSeries = -1;
      } else {
        // Symbols (read in pass 1) and unknown fields (checked in pass 1).
        reader.skip(tag & 7);
      }
    }
  } catch (err) {
    // One try for the whole request: none inside the loops.
    restoreCheckpoint(batch, checkpoint);
    const where =
      atSeries !== -1
        ? `series ${atSeries}`
        : atSymbol !== -1
          ? `symbol ${atSymbol}`
          : '';
    throw wrapDecodeError(err, where);
  }
  return stats;
}

/**
 * One TimeSeries in two passes over its body (protobuf allows any field
 * order; the batch needs labels and metadata first): pass 1 reads
 * labels_refs and metadata and notes where the first other field starts,
 * pass 2 reads samples, histograms and exemplars from there.
 */
function decodeTimeSeries(
  reader: ProtobufReader,
  end: number,
  context: RequestContext
): void {
  const { batch, symbols, stats } = context;
  const index = stats.series;
  const labels: string[] = [];
  let dataStart = -1;
  let hasMetadata = false;
  let type = 0;
  let helpRef = 0;
  let unitRef = 0;
  while (reader.pos < end) {
    const fieldStart = reader.pos;
    const tag = reader.uint32();
    if (tag === SERIES_LABELS_REFS_PACKED) {
      const refsEnd = reader.delimitedEnd();
      while (reader.pos < refsEnd)
        labels.push(symbolAt(symbols, reader.uint32(), index, 'label'));
      expectEnd(reader, refsEnd, 'TimeSeries (packed labels_refs)');
    } else if (tag === SERIES_LABELS_REFS) {
      labels.push(symbolAt(symbols, reader.uint32(), index, 'label'));
    } else if (tag === SERIES_METADATA) {
      // Inlined (no object per series): a repeated metadata field merges.
      const metadataEnd = reader.delimitedEnd();
      hasMetadata = true;
      while (reader.pos < metadataEnd) {
        const metadataTag = reader.uint32();
        if (metadataTag === METADATA_TYPE) type = reader.uint32();
        else if (metadataTag === METADATA_HELP_REF) helpRef = reader.uint32();
        else if (metadataTag === METADATA_UNIT_REF) unitRef = reader.uint32();
        else skipField(reader, metadataTag, METADATA_FIELDS, 'Metadata');
      }
      expectEnd(reader, metadataEnd, 'Metadata');
    } else {
      if (dataStart === -1) dataStart = fieldStart;
      skipField(reader, tag, SERIES_LABEL_FIELDS, 'TimeSeries');
    }
  }
  expectEnd(reader, end, 'TimeSeries');
  if (labels.length % 2 !== 0) {
    throw writeRequestError(
      `series ${index}: labels_refs has an odd length (${labels.length}); it must hold name/value pairs`
    );
  }
  finishSeriesLabels(labels, index);
  const metadata = hasMetadata
    ? familyMetadataOf(
        context,
        labels,
        type,
        symbolAt(symbols, helpRef, index, 'help'),
        symbolAt(symbols, unitRef, index, 'unit')
      )
    : undefined;
  batch.addSeries(labels, metadata);
  if (dataStart === -1) return;

  reader.pos = dataStart;
  let samples = 0;
  let histograms = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === SERIES_SAMPLES) {
      // Inlined: this is the per-sample path (no call, no object per sample).
      const sampleEnd = reader.delimitedEnd();
      let value = 0;
      let timestampMs = 0;
      let startTimestampMs = 0;
      while (reader.pos < sampleEnd) {
        const sampleTag = reader.uint32();
        if (sampleTag === SAMPLE_VALUE) value = reader.double();
        else if (sampleTag === SAMPLE_TIMESTAMP) timestampMs = reader.int64();
        else if (sampleTag === SAMPLE_START_TIMESTAMP)
          startTimestampMs = reader.int64();
        else skipField(reader, sampleTag, SAMPLE_FIELDS, 'Sample');
      }
      expectEnd(reader, sampleEnd, 'Sample');
      batch.addSample(value, timestampMs, startTimestampMs);
      samples++;
    } else if (tag === SERIES_HISTOGRAMS) {
      batch.addHistogram(decodeHistogram(reader, reader.delimitedEnd(), true));
      histograms++;
    } else if (tag === SERIES_EXEMPLARS) {
      decodeExemplar(reader, reader.delimitedEnd(), symbols, index, batch);
      stats.exemplars++;
    } else if (tag === SERIES_LABELS_REFS_PACKED || tag === SERIES_METADATA) {
      reader.pos = reader.delimitedEnd();
    } else {
      skipField(reader, tag, SERIES_DATA_FIELDS, 'TimeSeries');
    }
  }
  if (samples !== 0 && histograms !== 0) {
    throw writeRequestError(
      `${describeSeries(index, labels)}: carries both samples (${samples}) and histograms (${histograms}); remote write 2.0 allows one kind per series`
    );
  }
  stats.samples += samples;
  stats.histograms += histograms;
}

function decodeExemplar(
  reader: ProtobufReader,
  end: number,
  symbols: readonly string[],
  seriesIndex: number,
  batch: SeriesBatch
): void {
  const labels: string[] = [];
  let value = 0;
  let timestampMs = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === EXEMPLAR_LABELS_REFS_PACKED) {
      const refsEnd = reader.delimitedEnd();
      while (reader.pos < refsEnd) {
        labels.push(
          symbolAt(symbols, reader.uint32(), seriesIndex, 'exemplar label')
        );
      }
      expectEnd(reader, refsEnd, 'Exemplar (packed labels_refs)');
    } else if (tag === EXEMPLAR_LABELS_REFS) {
      labels.push(
        symbolAt(symbols, reader.uint32(), seriesIndex, 'exemplar label')
      );
    } else if (tag === EXEMPLAR_VALUE) {
      value = reader.double();
    } else if (tag === EXEMPLAR_TIMESTAMP) {
      timestampMs = reader.int64();
    } else {
      skipField(reader, tag, EXEMPLAR_FIELDS, 'Exemplar');
    }
  }
  expectEnd(reader, end, 'Exemplar');
  if (labels.length % 2 !== 0) {
    throw writeRequestError(
      `series ${seriesIndex}: exemplar labels_refs has an odd length (${labels.length}); it must hold name/value pairs`
    );
  }
  batch.addExemplar({ labels, value, timestampMs });
}

function symbolAt(
  symbols: readonly string[],
  ref: number,
  seriesIndex: number,
  what: string
): string {
  const symbol = symbols[ref];
  if (symbol === undefined) {
    throw writeRequestError(
      `series ${seriesIndex}: ${what} ref ${ref} is out of range (the request has ${symbols.length} symbols)`
    );
  }
  return symbol;
}

/**
 * The series' MetricMetadata, shared with earlier series of the same family
 * when they agree (the usual case: one object per family per request).
 * All-default metadata (type unspecified, no help, no unit) says nothing and
 * becomes undefined.
 */
function familyMetadataOf(
  context: RequestContext,
  labels: readonly string[],
  typeValue: number,
  help: string,
  unit: string
): MetricMetadata | undefined {
  const type = metricTypeOf(typeValue);
  if (type === 0 && help === '' && unit === '') return undefined;
  // finishSeriesLabels guarantees a metric name.
  const familyName = getLabel(labels, METRIC_NAME_LABEL)!;
  const known = context.families.get(familyName);
  if (
    known !== undefined &&
    known.type === type &&
    known.help === help &&
    known.unit === unit
  ) {
    return known;
  }
  const metadata: MetricMetadata = { type, familyName, help, unit };
  if (known === undefined) context.families.set(familyName, metadata);
  return metadata;
}

function quote(text: string): string {
  return JSON.stringify(
    text.length > MAX_QUOTED_SYMBOL_CHARS
      ? `${text.slice(0, MAX_QUOTED_SYMBOL_CHARS)}…`
      : text
  );
}
