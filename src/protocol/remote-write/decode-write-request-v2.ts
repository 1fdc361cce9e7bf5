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
 *
 * With a SeriesLabelCache, a series' labels are looked up by a key made of
 * what its labels_refs point at, not of the refs, which differ between
 * requests: the cache's id for each symbol (SymbolIdTable: the same bytes,
 * the same id, in every request), one lookup per symbol per request. A known
 * series is then neither decoded nor validated again and gets the stable
 * array later stages memoize on; a hit costs a few array reads and a compare
 * of one number per label ref, whatever the length of its names and values.
 *
 * Why this file is long: one reader per message of the field table above, sharing the symbol table and the request counters.
 */
import { isUtf8 } from 'node:buffer';
import { decodeUtf8, ProtobufReader } from '../wire/protobuf-reader.js';
import { METRIC_NAME_LABEL, getLabel } from '../../model/index.js';
import type { MetricMetadata, SeriesBatch } from '../../model/index.js';
import { checkpointOf, restoreCheckpoint } from './batch-checkpoint.js';
import { decodeHistogram } from './decode-histogram.js';
import type { DecodeStats } from './decode-stats.js';
import type { SeriesLabelCache } from './series-label-cache.js';
import type { SymbolIdTable } from './symbol-id-table.js';
import { finishSeriesLabels } from './series-labels.js';
import {
  DEFAULT_REQUEST_LIMITS,
  RequestItemCounter,
  overRequestLimit,
  type RequestLimits,
} from '../request-limits.js';
import {
  expectEnd,
  fieldMask,
  metricTypeOf,
  skipField,
} from './wire-guards.js';
import {
  describeSeries,
  tooManyLabelPairs,
  tooManyPoints,
  tooManySeries,
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
  readonly body: Uint8Array;
  /** Symbol i is the UTF-8 (already validated) at [bounds[2i], bounds[2i+1]) of `body`. */
  readonly symbolBounds: readonly number[];
  readonly symbolCount: number;
  /** Decoded symbols by ref: all of them without a cache, else those used so far. */
  readonly symbolTexts: (string | undefined)[];
  /** With a cache: each symbol's id in `cache.symbols`, 0 until a series needs it. */
  readonly symbolIds: number[];
  /** The current series' labels_refs, each in range: the first `refCount` of `refs`, reused across series. */
  readonly refs: number[];
  refCount: number;
  readonly cache: SeriesLabelCache | undefined;
  /** One MetricMetadata per family name, shared by the family's series. */
  readonly families: Map<string, MetricMetadata>;
  readonly stats: DecodeStats;
  readonly limits: RequestLimits;
  /** Label pairs of the request so far (maxLabelsPerRequest). */
  readonly labelPairs: RequestItemCounter;
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
 * so a sender may put `symbols` after (or between) its `timeseries`. Every
 * symbol is checked to be valid UTF-8; with a cache, decoded only if used
 * by a series that misses it (or by metadata or an exemplar).
 *
 * With `cache`, a series whose labels were seen before gets the same label
 * array as last time, marked in `batch.stable` (see the header comment).
 *
 * `limits` caps the series (counted in pass 1, before any is decoded),
 * points and label pairs of the request and the bytes of each label
 * (request-limits.ts).
 *
 * @throws InvalidPayloadError (400) on a malformed request, naming the
 *   problem and the series; RequestLimitError (400 or 413) over a cap; the
 *   batch is then left as it was before the call.
 */
export function decodeWriteRequestV2(
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
  const checkpoint = checkpointOf(batch);
  const reader = new ProtobufReader(body);
  const symbolBounds: number[] = [];
  // One entry per symbol from pass 1 on (a string, or undefined until used): packed elements.
  const symbolTexts: (string | undefined)[] = [];
  const symbolIds: number[] = [];
  cache?.maintain();
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
        atSymbol = symbolBounds.length / 2;
        const symbolEnd = reader.delimitedEnd();
        if (cache === undefined) {
          // No cache: every series is decoded, so decode each symbol now.
          symbolTexts.push(decodeUtf8(body, reader.pos, symbolEnd));
        } else {
          // Checked now, decoded only if a series missing the cache needs it.
          checkUtf8(body, reader.pos, symbolEnd);
          symbolTexts.push(undefined);
          symbolIds.push(0);
        }
        symbolBounds.push(reader.pos, symbolEnd);
        reader.pos = symbolEnd;
        atSymbol = -1;
      } else if (tag === REQUEST_TIMESERIES) {
        atSeries = seriesSeen;
        if (seriesSeen === limits.maxSeriesPerRequest) {
          throw tooManySeries(limits);
        }
        if (firstSeriesAt === -1) firstSeriesAt = fieldStart;
        reader.pos = reader.delimitedEnd();
        seriesSeen++;
        atSeries = -1;
      } else {
        skipField(reader, tag, REQUEST_FIELDS, 'Request');
      }
    }
    if (symbolBounds.length !== 0 && symbolBounds[1] !== symbolBounds[0]) {
      throw writeRequestError(
        `symbols[0] must be the empty string, got ${quote(decodeUtf8(body, symbolBounds[0]!, symbolBounds[1]!))}`
      );
    }
    if (firstSeriesAt === -1) return stats;

    // Pass 2: the series, from the first one on.
    const context: RequestContext = {
      batch,
      body,
      symbolBounds,
      symbolCount: symbolBounds.length / 2,
      symbolTexts,
      symbolIds,
      refs: [],
      refCount: 0,
      cache,
      families: new Map(),
      stats,
      limits,
      labelPairs: new RequestItemCounter(
        limits,
        'maxLabelsPerRequest',
        'label pairs'
      ),
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
  const { batch, refs, stats, limits } = context;
  const index = stats.series;
  const maxRefs = 2 * limits.maxLabelPairsPerSeries;
  // A count, not refs.length = 0: the array keeps its storage across series.
  let refCount = 0;
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
      while (reader.pos < refsEnd) {
        if (refCount === maxRefs) throw tooManyLabelPairs(limits);
        refs[refCount++] = checkRef(context, reader.uint32(), index, 'label');
      }
      expectEnd(reader, refsEnd, 'TimeSeries (packed labels_refs)');
    } else if (tag === SERIES_LABELS_REFS) {
      if (refCount === maxRefs) throw tooManyLabelPairs(limits);
      refs[refCount++] = checkRef(context, reader.uint32(), index, 'label');
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
  if (refCount % 2 !== 0) {
    throw writeRequestError(
      `series ${index}: labels_refs has an odd length (${refCount}); it must hold name/value pairs`
    );
  }
  context.refCount = refCount;
  context.labelPairs.add(refCount >> 1);
  checkLabelBytes(context, refs, refCount);
  const labels =
    context.cache === undefined
      ? finishSeriesLabels(labelsOfRefs(context), index)
      : cachedLabelsOf(context, context.cache, index);
  const metadata = hasMetadata
    ? familyMetadataOf(
        context,
        labels,
        type,
        symbolAt(context, helpRef, index, 'help'),
        symbolAt(context, unitRef, index, 'unit')
      )
    : undefined;
  const seriesIndex = batch.addSeries(labels, metadata);
  if (context.cache !== undefined) batch.stable[seriesIndex] = 1;
  if (dataStart === -1) return;

  reader.pos = dataStart;
  let samples = 0;
  let histograms = 0;
  // Samples and histograms this series may still add (maxPointsPerRequest).
  let pointsLeft =
    limits.maxPointsPerRequest - stats.samples - stats.histograms;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === SERIES_SAMPLES) {
      if (pointsLeft-- === 0) throw tooManyPoints(limits);
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
      if (pointsLeft-- === 0) throw tooManyPoints(limits);
      batch.addHistogram(decodeHistogram(reader, reader.delimitedEnd(), true));
      histograms++;
    } else if (tag === SERIES_EXEMPLARS) {
      decodeExemplar(reader, reader.delimitedEnd(), context, index);
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

/**
 * Refuses a label whose name or value symbol is over its byte cap: refs at
 * even positions are names, at odd ones values. Symbol lengths are known
 * from pass 1, so this decodes nothing (and runs on cache hits too).
 */
function checkLabelBytes(
  context: RequestContext,
  refs: readonly number[],
  refCount: number
): void {
  const { symbolBounds, limits } = context;
  // Named loads, not limits[cap]: this runs per label ref, cache hits too.
  const maxNameBytes = limits.maxLabelNameBytes;
  const maxValueBytes = limits.maxLabelValueBytes;
  for (let i = 0; i < refCount; i++) {
    const ref = refs[i]!;
    const length = symbolBounds[2 * ref + 1]! - symbolBounds[2 * ref]!;
    const isName = i % 2 === 0;
    if (length > (isName ? maxNameBytes : maxValueBytes)) {
      throw overRequestLimit(
        limits,
        isName ? 'maxLabelNameBytes' : 'maxLabelValueBytes',
        `label ${i >> 1} ${isName ? 'name' : 'value'} (symbol ${ref}) of ${length} bytes`
      );
    }
  }
}

function decodeExemplar(
  reader: ProtobufReader,
  end: number,
  context: RequestContext,
  seriesIndex: number
): void {
  const labels: string[] = [];
  const exemplarRefs: number[] = [];
  let value = 0;
  let timestampMs = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === EXEMPLAR_LABELS_REFS_PACKED) {
      const refsEnd = reader.delimitedEnd();
      while (reader.pos < refsEnd) {
        exemplarRefs.push(
          checkExemplarRef(context, reader.uint32(), seriesIndex, exemplarRefs)
        );
      }
      expectEnd(reader, refsEnd, 'Exemplar (packed labels_refs)');
    } else if (tag === EXEMPLAR_LABELS_REFS) {
      exemplarRefs.push(
        checkExemplarRef(context, reader.uint32(), seriesIndex, exemplarRefs)
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
  context.labelPairs.add(exemplarRefs.length >> 1);
  checkLabelBytes(context, exemplarRefs, exemplarRefs.length);
  for (let i = 0; i < exemplarRefs.length; i++)
    labels.push(symbolText(context, exemplarRefs[i]!));
  if (labels.length % 2 !== 0) {
    throw writeRequestError(
      `series ${seriesIndex}: exemplar labels_refs has an odd length (${labels.length}); it must hold name/value pairs`
    );
  }
  context.batch.addExemplar({ labels, value, timestampMs });
}

/**
 * Refuses a symbol UTF-8 does not allow, as decoding it would, without
 * building the string: most symbols are ASCII, checked here byte by byte.
 */
function checkUtf8(buf: Uint8Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) {
      // The decoder words the refusal (and agrees with isUtf8 on what is valid).
      if (!isUtf8(buf.subarray(i, end))) decodeUtf8(buf, start, end);
      return;
    }
  }
}

/** An exemplar label ref, when in range and under the label pairs cap (`refs` so far). */
function checkExemplarRef(
  context: RequestContext,
  ref: number,
  seriesIndex: number,
  refs: readonly unknown[]
): number {
  if (refs.length === 2 * context.limits.maxLabelPairsPerSeries)
    throw tooManyLabelPairs(context.limits);
  return checkRef(context, ref, seriesIndex, 'exemplar label');
}

/** `ref`, when the request has that symbol. */
function checkRef(
  context: RequestContext,
  ref: number,
  seriesIndex: number,
  what: string
): number {
  if (ref >= context.symbolCount) {
    throw writeRequestError(
      `series ${seriesIndex}: ${what} ref ${ref} is out of range (the request has ${context.symbolCount} symbols)`
    );
  }
  return ref;
}

/** The symbol `ref` names, when the request has it. */
function symbolAt(
  context: RequestContext,
  ref: number,
  seriesIndex: number,
  what: string
): string {
  return symbolText(context, checkRef(context, ref, seriesIndex, what));
}

/** Symbol `ref` (in range), decoded on its first use in the request. */
function symbolText(context: RequestContext, ref: number): string {
  let text = context.symbolTexts[ref];
  if (text === undefined) {
    const bounds = context.symbolBounds;
    text = decodeUtf8(context.body, bounds[2 * ref]!, bounds[2 * ref + 1]!);
    context.symbolTexts[ref] = text;
  }
  return text;
}

/** The current series' raw label pairs, for finishSeriesLabels. */
function labelsOfRefs(context: RequestContext): string[] {
  const { refs, refCount } = context;
  // Pushed, not preallocated: packed elements, as the 1.0 decoder builds them.
  const labels: string[] = [];
  for (let i = 0; i < refCount; i++) labels.push(symbolText(context, refs[i]!));
  return labels;
}

/**
 * The current series' labels from the cache, or decoded, validated and
 * cached on a miss (a refusal caches nothing).
 */
function cachedLabelsOf(
  context: RequestContext,
  cache: SeriesLabelCache,
  seriesIndex: number
): string[] {
  const key = seriesKey;
  key.write(context, cache.symbols);
  let labels = cache.getByIds(key.ids, context.refCount, key.hash);
  if (labels === undefined) {
    labels = finishSeriesLabels(labelsOfRefs(context), seriesIndex);
    cache.setByIds(key.ids, context.refCount, key.hash, labels);
  }
  return labels;
}

/**
 * The current series' cache key: the symbol id of each label ref, in the
 * order sent, from `symbols` (looked up once per symbol per request), and
 * its hash. Scratch space shared by all requests (decoding is synchronous);
 * the cache copies a key it keeps.
 */
class SeriesKey {
  readonly ids: number[] = [];
  hash = 0;

  write(context: RequestContext, symbols: SymbolIdTable): void {
    const { body, refs, refCount, symbolBounds, symbolIds } = context;
    const ids = this.ids;
    let hash = 0x811c9dc5;
    for (let i = 0; i < refCount; i++) {
      const ref = refs[i]!;
      let id = symbolIds[ref]!;
      if (id === 0) {
        id = symbols.idOf(
          body,
          symbolBounds[2 * ref]!,
          symbolBounds[2 * ref + 1]!
        );
        symbolIds[ref] = id;
      }
      ids[i] = id;
      // FNV-1a over the ids (their low 32 bits; the compare sees all of them).
      hash = Math.imul(hash ^ id, 0x01000193);
    }
    // 30 bits: a small integer, so the Map lookup boxes nothing (~10% of a hit, measured).
    this.hash = hash & 0x3fffffff;
  }
}

const seriesKey = new SeriesKey();

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
