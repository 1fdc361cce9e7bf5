/**
 * OTLP metrics → Prometheus series in a SeriesBatch, following the OTel spec
 * "Prometheus and OpenMetrics compatibility" and prometheus/otlptranslator
 * (PROTOCOLS.md §2.9):
 *
 * | OTLP                                  | Prometheus                                        |
 * |---------------------------------------|---------------------------------------------------|
 * | Gauge                                 | gauge (`_ratio` for unit `1`)                     |
 * | Sum, cumulative, monotonic            | counter `…_total`, exemplars kept                 |
 * | Sum, cumulative, non-monotonic        | gauge                                             |
 * | Sum, delta, monotonic                 | counter, accumulated by DeltaToCumulative         |
 * | Sum, delta, non-monotonic             | rejected (spec: MUST be dropped)                  |
 * | Histogram, cumulative / delta         | `_bucket{le}` + `_sum` + `_count` (delta accumulated) |
 * | ExponentialHistogram, cumul. / delta  | native histogram (delta accumulated)              |
 * | Summary                               | `{quantile}` + `_sum` + `_count`                  |
 * | NO_RECORDED_VALUE flag                | stale NaN on every series of the point            |
 *
 * Labels of a series, weakest first: data point attributes, promoted
 * resource attributes (only where no attribute has the name), scope labels
 * `otel_scope_*`, `job`/`instance`, then `__name__`, `le`, `quantile`. Every
 * resource with attributes other than service.name/namespace/instance.id also
 * gets one `target_info` gauge (value 1) carrying them with job/instance.
 *
 * A point that cannot be converted is counted in `rejectedPoints` with a
 * message; the rest of the request still lands (OTLP partial success).
 *
 * Why this file is long: one converter per OTLP point type, all writing through the same label builder and batch in one pass; the table above is its map.
 */
import { METRIC_NAME_LABEL, seriesKeyOf } from '../../model/index.js';
import {
  MetricType,
  type Exemplar,
  type MetricMetadata,
  type NativeHistogram,
  type SeriesBatch,
} from '../../model/index.js';
import type { DeltaToCumulative } from './delta-to-cumulative.js';
import {
  downscaleBuckets,
  MAX_NATIVE_SCHEMA,
  MIN_NATIVE_SCHEMA,
  staleNativeHistogram,
  toNativeHistogram,
  type ExponentialHistogramShape,
} from './exponential-histogram.js';
import { formatAnyValue } from '../../protocol/index.js';
import { OtlpLabelBuilder, withLabels } from './otlp-label-builder.js';
import {
  AggregationTemporality,
  DataPointFlags,
  countDataPoints,
  type OtlpExemplar,
  type OtlpExponentialHistogramDataPoint,
  type OtlpHistogramDataPoint,
  type OtlpKeyValue,
  type OtlpMetric,
  type OtlpMetricsRequest,
  type OtlpNumberDataPoint,
  type OtlpResource,
  type OtlpScopeMetrics,
  type OtlpSummaryDataPoint,
} from '../../protocol/index.js';
import {
  buildMetricName,
  buildUnitName,
  formatPrometheusFloat,
  type MetricNameKind,
} from '../../protocol/index.js';
import { STALE_NAN } from './stale-nan.js';

export interface OtlpMetricsConverterOptions {
  /** Resource attribute keys (OTel names, e.g. `k8s.cluster.name`) copied onto every series. */
  promoteResourceAttributes: readonly string[];
  /** Running totals for delta points; shared across requests. */
  deltaState: DeltaToCumulative;
}

/** What one `convert` call did, in OTLP data points (not Prometheus samples). */
export interface ConvertResult {
  /** Data points converted into the batch. */
  points: number;
  /** Data points refused (partial_success.rejected_data_points). */
  rejectedPoints: number;
  /** Distinct reasons, at most {@link MAX_CONVERT_ERRORS}. */
  errors: string[];
}

/** Most distinct messages kept per request (they end up in one error_message). */
export const MAX_CONVERT_ERRORS = 10;
/** Metric names in messages are cut to this many characters. */
const MAX_NAME_IN_MESSAGE_CHARS = 100;

const SERVICE_NAME = 'service.name';
const SERVICE_NAMESPACE = 'service.namespace';
const SERVICE_INSTANCE_ID = 'service.instance.id';
const PROMETHEUS_TYPE_KEY = 'prometheus.type';
const TARGET_INFO = 'target_info';
const TARGET_INFO_METADATA: MetricMetadata = Object.freeze({
  type: MetricType.GAUGE,
  familyName: TARGET_INFO,
  help: 'Target metadata',
  unit: '',
});

/** State of one `convert` call, passed down instead of a closure. */
interface Context {
  batch: SeriesBatch;
  scope: string;
  result: ConvertResult;
  seenErrors: Set<string>;
  /** Flat labels that override attributes: scope labels, then job/instance. */
  overrides: string[];
  /** Flat promoted resource labels, added where no attribute has the name. */
  promoted: string[];
  /** Latest timestamp converted for the current resource, -1 for none. */
  maxTimestampMs: number;
  /** Bucket bounds whose `le` texts are in `leTexts` (reused while points share bounds). */
  leBounds: number[];
  leTexts: string[];
}

/** Converts decoded OTLP metrics into Prometheus series. One instance per gateway. */
export class OtlpMetricsConverter {
  private readonly _promote: ReadonlySet<string>;
  private readonly _delta: DeltaToCumulative;
  private readonly _labels = new OtlpLabelBuilder();

  constructor(options: OtlpMetricsConverterOptions) {
    this._promote = new Set(options.promoteResourceAttributes);
    this._delta = options.deltaState;
  }

  /**
   * Appends the series of `request` to `batch`. `scope` is the cluster
   * identity under which delta running totals are kept.
   */
  convert(
    request: OtlpMetricsRequest,
    batch: SeriesBatch,
    scope: string
  ): ConvertResult {
    const ctx: Context = {
      batch,
      scope,
      result: { points: 0, rejectedPoints: 0, errors: [] },
      seenErrors: new Set(),
      overrides: [],
      promoted: [],
      maxTimestampMs: -1,
      leBounds: [],
      leTexts: [],
    };
    const targetInfoSeen = new Set<string>();
    for (const resourceMetrics of request.resourceMetrics) {
      const resource = this._resourceLabels(resourceMetrics.resource);
      ctx.promoted = resource.promoted;
      ctx.maxTimestampMs = -1;
      for (const scopeMetrics of resourceMetrics.scopeMetrics) {
        ctx.overrides = this._scopeLabels(scopeMetrics);
        ctx.overrides.push(...resource.identity);
        for (const metric of scopeMetrics.metrics)
          this._convertMetric(ctx, metric);
      }
      if (resource.targetInfo !== undefined && ctx.maxTimestampMs >= 0) {
        const key = seriesKeyOf(resource.targetInfo);
        // One target_info per job/instance (and attribute set) per request.
        if (!targetInfoSeen.has(key)) {
          targetInfoSeen.add(key);
          batch.addSeries(resource.targetInfo, TARGET_INFO_METADATA);
          batch.addSample(1, ctx.maxTimestampMs, 0);
        }
      }
    }
    return ctx.result;
  }

  // ---- resource and scope --------------------------------------------------

  /**
   * job/instance, the promoted labels, and the target_info labels (undefined
   * when the resource has no attribute beyond the identifying three).
   */
  private _resourceLabels(resource: OtlpResource): {
    identity: string[];
    promoted: string[];
    targetInfo: string[] | undefined;
  } {
    const attributes = resource.attributes;
    let serviceName = '';
    let serviceNamespace = '';
    let instance = '';
    const promotedAttributes: OtlpKeyValue[] = [];
    const infoAttributes: OtlpKeyValue[] = [];
    for (const attribute of attributes) {
      const key = attribute.key;
      if (key === SERVICE_NAME) serviceName = formatAnyValue(attribute.value);
      else if (key === SERVICE_NAMESPACE)
        serviceNamespace = formatAnyValue(attribute.value);
      else if (key === SERVICE_INSTANCE_ID)
        instance = formatAnyValue(attribute.value);
      else infoAttributes.push(attribute);
      if (this._promote.has(key)) promotedAttributes.push(attribute);
    }
    const job =
      serviceName === ''
        ? ''
        : serviceNamespace === ''
          ? serviceName
          : `${serviceNamespace}/${serviceName}`;
    const identity: string[] = [];
    if (job !== '') identity.push('job', job);
    if (instance !== '') identity.push('instance', instance);

    const labels = this._labels;
    labels.reset();
    labels.addAttributes(promotedAttributes);
    const promoted = labels.build();

    let targetInfo: string[] | undefined;
    if (infoAttributes.length > 0) {
      labels.reset();
      labels.addAttributes(infoAttributes);
      labels.setAll(identity);
      targetInfo = withLabels(labels.build(), METRIC_NAME_LABEL, TARGET_INFO);
    }
    return { identity, promoted, targetInfo };
  }

  /** `otel_scope_name`, `otel_scope_version`, `otel_scope_schema_url`, `otel_scope_<attr>`. */
  private _scopeLabels(scopeMetrics: OtlpScopeMetrics): string[] {
    const scope = scopeMetrics.scope;
    const out: string[] = [];
    for (const attribute of scope.attributes) {
      const name = this._labels.labelName(attribute.key);
      const value = formatAnyValue(attribute.value);
      if (name !== '' && value !== '') out.push(`otel_scope_${name}`, value);
    }
    // After the attributes: later pairs win, so an attribute called `name`
    // cannot replace the scope's own name.
    if (scope.name !== '') out.push('otel_scope_name', scope.name);
    if (scope.version !== '') out.push('otel_scope_version', scope.version);
    if (scopeMetrics.schemaUrl !== '')
      out.push('otel_scope_schema_url', scopeMetrics.schemaUrl);
    return out;
  }

  // ---- metrics ---------------------------------------------------------------

  private _convertMetric(ctx: Context, metric: OtlpMetric): void {
    const data = metric.data;
    if (data === undefined) {
      // No points to count as rejected: a warning in the message only.
      this._note(
        ctx,
        0,
        metric,
        'has no data (unset or unknown type); ignored'
      );
      return;
    }
    if (metric.name === '') {
      this._note(ctx, countDataPoints(metric), metric, 'has no name');
      return;
    }
    switch (data.type) {
      case 'gauge': {
        const type =
          prometheusTypeOf(metric) === 'unknown'
            ? MetricType.UNKNOWN
            : MetricType.GAUGE;
        const meta = this._metadata(ctx, metric, 'gauge', type);
        if (meta !== undefined)
          this._numberPoints(ctx, metric, data.dataPoints, meta, false);
        return;
      }
      case 'sum': {
        if (data.aggregationTemporality === AggregationTemporality.CUMULATIVE) {
          if (data.isMonotonic) {
            const meta = this._metadata(
              ctx,
              metric,
              'counter',
              MetricType.COUNTER
            );
            if (meta !== undefined)
              this._numberPoints(ctx, metric, data.dataPoints, meta, true);
          } else {
            const promType = prometheusTypeOf(metric);
            const type =
              promType === 'info'
                ? MetricType.INFO
                : promType === 'stateset'
                  ? MetricType.STATESET
                  : MetricType.GAUGE;
            const meta = this._metadata(ctx, metric, 'other', type);
            if (meta !== undefined)
              this._numberPoints(ctx, metric, data.dataPoints, meta, false);
          }
        } else if (
          data.aggregationTemporality === AggregationTemporality.DELTA
        ) {
          if (!data.isMonotonic) {
            this._note(
              ctx,
              data.dataPoints.length,
              metric,
              'is a non-monotonic delta sum, which Prometheus cannot represent'
            );
            return;
          }
          const meta = this._metadata(
            ctx,
            metric,
            'counter',
            MetricType.COUNTER
          );
          if (meta !== undefined)
            this._deltaSumPoints(ctx, metric, data.dataPoints, meta);
        } else {
          this._note(
            ctx,
            data.dataPoints.length,
            metric,
            'has unspecified aggregation temporality'
          );
        }
        return;
      }
      case 'histogram': {
        const delta =
          data.aggregationTemporality === AggregationTemporality.DELTA;
        if (
          !delta &&
          data.aggregationTemporality !== AggregationTemporality.CUMULATIVE
        ) {
          this._note(
            ctx,
            data.dataPoints.length,
            metric,
            'has unspecified aggregation temporality'
          );
          return;
        }
        const meta = this._metadata(ctx, metric, 'other', MetricType.HISTOGRAM);
        if (meta !== undefined)
          this._histogramPoints(ctx, metric, data.dataPoints, meta, delta);
        return;
      }
      case 'exponentialHistogram': {
        const delta =
          data.aggregationTemporality === AggregationTemporality.DELTA;
        if (
          !delta &&
          data.aggregationTemporality !== AggregationTemporality.CUMULATIVE
        ) {
          this._note(
            ctx,
            data.dataPoints.length,
            metric,
            'has unspecified aggregation temporality'
          );
          return;
        }
        const meta = this._metadata(ctx, metric, 'other', MetricType.HISTOGRAM);
        if (meta !== undefined)
          this._exponentialPoints(ctx, metric, data.dataPoints, meta, delta);
        return;
      }
      case 'summary': {
        const meta = this._metadata(ctx, metric, 'other', MetricType.SUMMARY);
        if (meta !== undefined)
          this._summaryPoints(ctx, metric, data.dataPoints, meta);
        return;
      }
    }
  }

  /** The family metadata shared by all series of the metric, or undefined (points rejected) for an unusable name. */
  private _metadata(
    ctx: Context,
    metric: OtlpMetric,
    kind: MetricNameKind,
    type: MetricType
  ): MetricMetadata | undefined {
    const familyName = buildMetricName(metric.name, metric.unit, kind);
    if (familyName === '') {
      this._note(
        ctx,
        countDataPoints(metric),
        metric,
        'has a name with no valid Prometheus characters'
      );
      return undefined;
    }
    return {
      type,
      familyName,
      help: metric.description,
      unit: buildUnitName(metric.unit),
    };
  }

  /** Gauges and cumulative sums; `isCounter` keeps exemplars (spec: only sums and histograms carry them). */
  private _numberPoints(
    ctx: Context,
    metric: OtlpMetric,
    points: readonly OtlpNumberDataPoint[],
    meta: MetricMetadata,
    isCounter: boolean
  ): void {
    const batch = ctx.batch;
    for (let i = 0; i < points.length; i++) {
      const point = points[i]!;
      const stale = (point.flags & DataPointFlags.NO_RECORDED_VALUE) !== 0;
      if (
        !this._checkPoint(
          ctx,
          metric,
          point.timeUnixMs,
          stale || point.value !== undefined
        )
      )
        continue;
      const labels = withLabels(
        this._baseLabels(ctx, point.attributes),
        METRIC_NAME_LABEL,
        meta.familyName
      );
      batch.addSeries(labels, meta);
      batch.addSample(
        stale ? STALE_NAN : point.value!,
        point.timeUnixMs,
        point.startTimeUnixMs
      );
      if (isCounter && !stale)
        this._addExemplars(ctx, point.exemplars, -1, undefined, 0);
      this._accept(ctx, point.timeUnixMs);
    }
  }

  private _deltaSumPoints(
    ctx: Context,
    metric: OtlpMetric,
    points: readonly OtlpNumberDataPoint[],
    meta: MetricMetadata
  ): void {
    const batch = ctx.batch;
    for (let i = 0; i < points.length; i++) {
      const point = points[i]!;
      const stale = (point.flags & DataPointFlags.NO_RECORDED_VALUE) !== 0;
      if (
        !this._checkPoint(
          ctx,
          metric,
          point.timeUnixMs,
          stale || point.value !== undefined
        )
      )
        continue;
      const value = point.value!;
      if (!stale && !(value >= 0)) {
        this._note(
          ctx,
          1,
          metric,
          `has a delta of ${value}, which a monotonic sum cannot accumulate`
        );
        continue;
      }
      const labels = withLabels(
        this._baseLabels(ctx, point.attributes),
        METRIC_NAME_LABEL,
        meta.familyName
      );
      const key = deltaKey(ctx, labels);
      if (stale) {
        this._delta.forget(key);
        batch.addSeries(labels, meta);
        batch.addSample(STALE_NAN, point.timeUnixMs, point.startTimeUnixMs);
        this._accept(ctx, point.timeUnixMs);
        continue;
      }
      const state = this._delta.addSum(
        key,
        point.startTimeUnixMs,
        point.timeUnixMs,
        value
      );
      if (state === undefined) {
        this._note(
          ctx,
          1,
          metric,
          'has a delta point out of order (not after the last one accumulated)'
        );
        continue;
      }
      batch.addSeries(labels, meta);
      batch.addSample(state.total, point.timeUnixMs, state.startMs);
      this._addExemplars(ctx, point.exemplars, -1, undefined, 0);
      this._accept(ctx, point.timeUnixMs);
    }
  }

  private _histogramPoints(
    ctx: Context,
    metric: OtlpMetric,
    points: readonly OtlpHistogramDataPoint[],
    meta: MetricMetadata,
    delta: boolean
  ): void {
    for (let i = 0; i < points.length; i++) {
      const point = points[i]!;
      const stale = (point.flags & DataPointFlags.NO_RECORDED_VALUE) !== 0;
      if (!this._checkPoint(ctx, metric, point.timeUnixMs, true)) continue;
      if (hasNaN(point.explicitBounds)) {
        this._note(ctx, 1, metric, 'has a histogram bucket bound that is NaN');
        continue;
      }
      const base = this._baseLabels(ctx, point.attributes);
      if (!delta || stale) {
        if (delta)
          this._delta.forget(
            deltaKey(ctx, withLabels(base, METRIC_NAME_LABEL, meta.familyName))
          );
        this._emitHistogram(
          ctx,
          base,
          meta,
          point.explicitBounds,
          point.bucketCounts,
          point.count,
          point.sum,
          point.timeUnixMs,
          point.startTimeUnixMs,
          stale,
          point.exemplars
        );
        this._accept(ctx, point.timeUnixMs);
        continue;
      }
      if (!(point.sum === undefined || Number.isFinite(point.sum))) {
        this._note(
          ctx,
          1,
          metric,
          `has a delta histogram sum of ${point.sum}, which cannot be accumulated`
        );
        continue;
      }
      const state = this._delta.addHistogram(
        deltaKey(ctx, withLabels(base, METRIC_NAME_LABEL, meta.familyName)),
        point.startTimeUnixMs,
        point.timeUnixMs,
        point.explicitBounds,
        point.bucketCounts,
        point.count,
        point.sum
      );
      if (state === undefined) {
        this._note(
          ctx,
          1,
          metric,
          'has a delta point out of order (not after the last one accumulated)'
        );
        continue;
      }
      this._emitHistogram(
        ctx,
        base,
        meta,
        state.bounds,
        state.bucketCounts,
        state.count,
        state.sum,
        point.timeUnixMs,
        state.startMs,
        false,
        point.exemplars
      );
      this._accept(ctx, point.timeUnixMs);
    }
  }

  /**
   * `_bucket{le}` series with cumulative counts, `le="+Inf"` = count, then
   * `_sum` (when present) and `_count`. `le` is rendered as Prometheus'
   * translator does, Go `FormatFloat(bound, 'f', -1, 64)`: `0.005`, `1`, `1000`.
   * An explicit +Inf bound is skipped (the +Inf bucket is always added).
   */
  private _emitHistogram(
    ctx: Context,
    base: readonly string[],
    meta: MetricMetadata,
    bounds: readonly number[],
    bucketCounts: readonly number[],
    count: number,
    sum: number | undefined,
    timestampMs: number,
    startTimestampMs: number,
    stale: boolean,
    exemplars: readonly OtlpExemplar[]
  ): void {
    const batch = ctx.batch;
    const bucketName = `${meta.familyName}_bucket`;
    const leTexts = this._leTexts(ctx, bounds);
    const buckets = Math.min(bounds.length, bucketCounts.length);
    const withExemplars = !stale && exemplars.length > 0;
    let cumulative = 0;
    for (let b = 0; b < buckets; b++) {
      cumulative += bucketCounts[b]!;
      if (bounds[b] === Infinity) continue;
      batch.addSeries(
        withLabels(base, METRIC_NAME_LABEL, bucketName, 'le', leTexts[b]),
        meta
      );
      batch.addSample(
        stale ? STALE_NAN : cumulative,
        timestampMs,
        startTimestampMs
      );
      if (withExemplars) this._addExemplars(ctx, exemplars, b, bounds, buckets);
    }
    batch.addSeries(
      withLabels(base, METRIC_NAME_LABEL, bucketName, 'le', '+Inf'),
      meta
    );
    batch.addSample(stale ? STALE_NAN : count, timestampMs, startTimestampMs);
    if (withExemplars)
      this._addExemplars(ctx, exemplars, buckets, bounds, buckets);
    if (sum !== undefined) {
      batch.addSeries(
        withLabels(base, METRIC_NAME_LABEL, `${meta.familyName}_sum`),
        meta
      );
      batch.addSample(stale ? STALE_NAN : sum, timestampMs, startTimestampMs);
    }
    batch.addSeries(
      withLabels(base, METRIC_NAME_LABEL, `${meta.familyName}_count`),
      meta
    );
    batch.addSample(stale ? STALE_NAN : count, timestampMs, startTimestampMs);
  }

  private _exponentialPoints(
    ctx: Context,
    metric: OtlpMetric,
    points: readonly OtlpExponentialHistogramDataPoint[],
    meta: MetricMetadata,
    delta: boolean
  ): void {
    const batch = ctx.batch;
    for (let i = 0; i < points.length; i++) {
      const point = points[i]!;
      const stale = (point.flags & DataPointFlags.NO_RECORDED_VALUE) !== 0;
      if (!this._checkPoint(ctx, metric, point.timeUnixMs, true)) continue;
      if (point.scale < MIN_NATIVE_SCHEMA) {
        this._note(
          ctx,
          1,
          metric,
          `has exponential histogram scale ${point.scale}, below the lowest native histogram schema ${MIN_NATIVE_SCHEMA}`
        );
        continue;
      }
      const labels = withLabels(
        this._baseLabels(ctx, point.attributes),
        METRIC_NAME_LABEL,
        meta.familyName
      );
      let histogram: NativeHistogram | string;
      if (stale) {
        if (delta) this._delta.forget(deltaKey(ctx, labels));
        histogram = staleNativeHistogram(
          Math.min(point.scale, MAX_NATIVE_SCHEMA),
          point.timeUnixMs,
          point.startTimeUnixMs
        );
      } else if (!delta) {
        histogram = toNativeHistogram(
          point,
          point.timeUnixMs,
          point.startTimeUnixMs
        );
      } else {
        if (!(point.sum === undefined || Number.isFinite(point.sum))) {
          this._note(
            ctx,
            1,
            metric,
            `has a delta histogram sum of ${point.sum}, which cannot be accumulated`
          );
          continue;
        }
        const state = this._delta.addExponentialHistogram(
          deltaKey(ctx, labels),
          point.startTimeUnixMs,
          point.timeUnixMs,
          atNativeScale(point)
        );
        if (state === undefined) {
          this._note(
            ctx,
            1,
            metric,
            'has a delta point out of order (not after the last one accumulated)'
          );
          continue;
        }
        histogram = toNativeHistogram(state, point.timeUnixMs, state.startMs);
      }
      if (typeof histogram === 'string') {
        this._note(ctx, 1, metric, `is invalid: ${histogram}`);
        continue;
      }
      batch.addSeries(labels, meta);
      batch.addHistogram(histogram);
      if (!stale) this._addExemplars(ctx, point.exemplars, -1, undefined, 0);
      this._accept(ctx, point.timeUnixMs);
    }
  }

  private _summaryPoints(
    ctx: Context,
    metric: OtlpMetric,
    points: readonly OtlpSummaryDataPoint[],
    meta: MetricMetadata
  ): void {
    const batch = ctx.batch;
    const name = meta.familyName;
    for (let i = 0; i < points.length; i++) {
      const point = points[i]!;
      const stale = (point.flags & DataPointFlags.NO_RECORDED_VALUE) !== 0;
      if (!this._checkPoint(ctx, metric, point.timeUnixMs, true)) continue;
      const base = this._baseLabels(ctx, point.attributes);
      const ts = point.timeUnixMs;
      const start = point.startTimeUnixMs;
      for (let q = 0; q < point.quantileValues.length; q++) {
        const quantile = point.quantileValues[q]!;
        batch.addSeries(
          withLabels(
            base,
            METRIC_NAME_LABEL,
            name,
            'quantile',
            formatPrometheusFloat(quantile.quantile)
          ),
          meta
        );
        batch.addSample(stale ? STALE_NAN : quantile.value, ts, start);
      }
      batch.addSeries(withLabels(base, METRIC_NAME_LABEL, `${name}_sum`), meta);
      batch.addSample(stale ? STALE_NAN : point.sum, ts, start);
      batch.addSeries(
        withLabels(base, METRIC_NAME_LABEL, `${name}_count`),
        meta
      );
      batch.addSample(stale ? STALE_NAN : point.count, ts, start);
      this._accept(ctx, ts);
    }
  }

  // ---- helpers ---------------------------------------------------------------

  /** Sorted labels of a point, without `__name__`. */
  private _baseLabels(
    ctx: Context,
    attributes: readonly OtlpKeyValue[]
  ): string[] {
    const labels = this._labels;
    labels.reset();
    labels.addAttributes(attributes);
    labels.setAll(ctx.overrides);
    labels.setAllIfAbsent(ctx.promoted);
    return labels.build();
  }

  /**
   * Adds the exemplars of a point to the series just added. For histogram
   * bucket `bucket` of the first `buckets` of `bounds`, only the exemplars
   * whose value falls in it (index `buckets` is +Inf); without bounds, all.
   */
  private _addExemplars(
    ctx: Context,
    exemplars: readonly OtlpExemplar[],
    bucket: number,
    bounds: readonly number[] | undefined,
    buckets: number
  ): void {
    for (let i = 0; i < exemplars.length; i++) {
      const exemplar = exemplars[i]!;
      if (exemplar.value === undefined) continue;
      if (
        bounds !== undefined &&
        bucketOf(exemplar.value, bounds, buckets) !== bucket
      )
        continue;
      ctx.batch.addExemplar(this._exemplar(exemplar, exemplar.value));
    }
  }

  private _exemplar(exemplar: OtlpExemplar, value: number): Exemplar {
    const labels = this._labels;
    labels.reset();
    labels.addAttributes(exemplar.filteredAttributes);
    labels.set('trace_id', exemplar.traceId);
    labels.set('span_id', exemplar.spanId);
    return { labels: labels.build(), value, timestampMs: exemplar.timeUnixMs };
  }

  /** `le` texts for `bounds`, reusing the previous point's when the bounds are the same. */
  private _leTexts(ctx: Context, bounds: readonly number[]): string[] {
    const cached = ctx.leBounds;
    let same = cached.length === bounds.length;
    for (let i = 0; same && i < bounds.length; i++)
      same = cached[i] === bounds[i];
    if (!same) {
      ctx.leBounds = bounds.slice();
      ctx.leTexts = new Array<string>(bounds.length);
      for (let i = 0; i < bounds.length; i++)
        ctx.leTexts[i] = formatPrometheusFloat(bounds[i]!);
    }
    return ctx.leTexts;
  }

  /** Rejects a point without a timestamp or value; returns true when it may be converted. */
  private _checkPoint(
    ctx: Context,
    metric: OtlpMetric,
    timeUnixMs: number,
    hasValue: boolean
  ): boolean {
    if (timeUnixMs <= 0) {
      this._note(ctx, 1, metric, 'has a data point without time_unix_nano');
      return false;
    }
    if (!hasValue) {
      this._note(ctx, 1, metric, 'has a data point without a value');
      return false;
    }
    return true;
  }

  private _accept(ctx: Context, timestampMs: number): void {
    ctx.result.points++;
    if (timestampMs > ctx.maxTimestampMs) ctx.maxTimestampMs = timestampMs;
  }

  /** Counts `rejected` points and records the reason (deduplicated, capped). */
  private _note(
    ctx: Context,
    rejected: number,
    metric: OtlpMetric,
    reason: string
  ): void {
    ctx.result.rejectedPoints += rejected;
    if (ctx.result.errors.length >= MAX_CONVERT_ERRORS) return;
    const name =
      metric.name.length > MAX_NAME_IN_MESSAGE_CHARS
        ? `${metric.name.slice(0, MAX_NAME_IN_MESSAGE_CHARS)}…`
        : metric.name;
    const message = `metric ${JSON.stringify(name)} ${reason}`;
    if (ctx.seenErrors.has(message)) return;
    ctx.seenErrors.add(message);
    ctx.result.errors.push(message);
  }
}

function deltaKey(ctx: Context, labels: readonly string[]): string {
  return `${ctx.scope}\u0000${seriesKeyOf(labels)}`;
}

/** The `prometheus.type` metadata value (spec: gauges may be `unknown`, sums `info`/`stateset`). */
function prometheusTypeOf(metric: OtlpMetric): string {
  for (const entry of metric.metadata) {
    if (entry.key === PROMETHEUS_TYPE_KEY && typeof entry.value === 'string')
      return entry.value;
  }
  return '';
}

function hasNaN(values: readonly number[]): boolean {
  for (let i = 0; i < values.length; i++)
    if (Number.isNaN(values[i])) return true;
  return false;
}

/**
 * Index of the first of `buckets` finite bounds that is ≥ value, or `buckets`
 * (the +Inf bucket). An explicit +Inf bound is not a series of its own.
 */
function bucketOf(
  value: number,
  bounds: readonly number[],
  buckets: number
): number {
  for (let i = 0; i < buckets; i++) {
    const bound = bounds[i]!;
    if (bound !== Infinity && value <= bound) return i;
  }
  return buckets;
}

/** The point's distribution at scale ≤ 8, for accumulation. */
function atNativeScale(
  point: OtlpExponentialHistogramDataPoint
): ExponentialHistogramShape {
  if (point.scale <= MAX_NATIVE_SCHEMA) return point;
  const shift = point.scale - MAX_NATIVE_SCHEMA;
  return {
    scale: MAX_NATIVE_SCHEMA,
    zeroThreshold: point.zeroThreshold,
    zeroCount: point.zeroCount,
    count: point.count,
    sum: point.sum,
    positive: downscaleBuckets(point.positive, shift),
    negative: downscaleBuckets(point.negative, shift),
  };
}
