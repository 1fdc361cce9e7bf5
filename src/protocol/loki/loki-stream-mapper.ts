/**
 * Turns a normalized LogBatch into Loki streams: which attributes become
 * stream labels, what the line is, and what rides along as structured
 * metadata (Loki ≥ 3). Loki indexes streams, so its cost grows with the
 * number of distinct label sets; the labels are therefore a short,
 * configured list of low-cardinality values (`logs.loki.stream_labels`,
 * default cluster, region, env, namespace, service_name, plus the level) and
 * everything else (pod, container, uid, trace ids, attributes) goes to the
 * line or to structured metadata, which Loki stores without indexing.
 *
 * Label values: for each label, its attribute keys are looked up in order,
 * first in the resource, then in the record; the first non-empty value
 * wins. The canonical identity attributes are always in the normalized
 * resource, so a record can never pick its own `cluster`. Skipped as if
 * absent: the SDK default `service.name` (`unknown_service…`, semconv), and
 * values over {@link MAX_LOKI_LABEL_VALUE_BYTES} (Loki refuses those
 * streams; the value stays in structured metadata). An attribute that became
 * a label is not repeated in the metadata.
 *
 * Line formats (`line_format`):
 * - `body`: the body as text (strings as they are; maps and arrays as JSON;
 *   bytes as base64); structured metadata carries resource attributes,
 *   `scope_name`/`scope_version`, record attributes, `trace_id`, `span_id`,
 *   `severity_text`, `severity_number` and `event_name`, names sanitized to
 *   Prometheus label names, later ones (record) winning over earlier ones
 *   (resource) on a name clash;
 * - `json`: one JSON object per line with `body` and those same fields
 *   (`attributes`, `resources`, `instrumentation_scope`, `traceid`,
 *   `spanid`, `severity`, `severity_number`, `event_name`), like the
 *   collector's lokiexporter; no structured metadata.
 *
 * Timestamps: `time_unix_nano`, else `observed_time_unix_nano`, else the
 * time the gateway received the request.
 */
import type { LokiMappingConfig } from '../../config/index.js';
import { formatAnyValue } from '../otlp/format-any-value.js';
import { sanitizeLabelName } from '../otlp/prometheus-naming.js';
import {
  LogDropReason,
  type LogAnyValue,
  type LogBatch,
  type LogKeyValue,
  type LogRecord,
  type LogResource,
} from '../../model/index.js';
import { levelOf } from './severity-level.js';

/** Loki's default `max_label_value_length`; a longer value would get the whole stream refused. */
export const MAX_LOKI_LABEL_VALUE_BYTES = 2048;
/** Label used when a record yields no label at all (Loki refuses an empty label set). */
const FALLBACK_LABEL = 'cluster';
const UNKNOWN_SERVICE_PREFIX = 'unknown_service';
const SERVICE_NAME_KEY = 'service.name';
const MAX_CACHED_NAMES = 4096;

/** One Loki log entry. */
export interface LokiEntry {
  /** ns since the epoch. */
  readonly timeUnixNano: bigint;
  readonly line: string;
  /** Structured metadata as flat `[name, value, …]` pairs (names are valid label names). */
  readonly structuredMetadata: readonly string[];
}

/** One Loki stream: its label set and its entries, in record order. */
export interface LokiStream {
  /** The label set in Loki's push syntax, `{name="value", …}`, sorted by name. */
  readonly labels: string;
  readonly entries: LokiEntry[];
}

/** What one resource contributes, computed once per resource. */
interface ResourceLabels {
  /** Per configured label: its value from the resource, or undefined. */
  readonly values: (string | undefined)[];
  /** Resource attribute keys that became labels. */
  readonly usedKeys: ReadonlySet<string>;
  /** Whether some label is still unresolved (then records are searched too). */
  readonly isComplete: boolean;
  /** Label text by level, for records that add no label of their own. */
  readonly textByLevel: Map<string, string>;
}

const NO_KEYS: ReadonlySet<string> = new Set();

export class LokiStreamMapper {
  private readonly _names: readonly string[];
  private readonly _sources: readonly (readonly string[])[];
  private readonly _levelLabel: string;
  private readonly _lineFormat: 'body' | 'json';
  private readonly _hasStructuredMetadata: boolean;
  // Positions of the labels (configured ones, then the level as index length) in name order.
  private readonly _sortedOrder: readonly number[];
  private readonly _metadataNames = new Map<string, string>();
  // One mapping per batch, shared by every Loki downstream of a fan-out.
  private readonly _memo = new WeakMap<LogBatch, LokiStream[]>();

  constructor(config: LokiMappingConfig) {
    this._names = Object.keys(config.stream_labels);
    this._sources = this._names.map(name => config.stream_labels[name]!);
    this._levelLabel = config.level_label;
    this._lineFormat = config.line_format;
    this._hasStructuredMetadata =
      config.structured_metadata && config.line_format === 'body';
    const all = this._names.map((name, index) => ({ name, index }));
    if (this._levelLabel !== '')
      all.push({ name: this._levelLabel, index: this._names.length });
    all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this._sortedOrder = all.map(entry => entry.index);
  }

  /**
   * The streams of the live records of `batch`, in order of first
   * appearance, each with its entries in record order. Memoized per batch
   * (a batch is not changed once it is handed to forwarding).
   */
  map(batch: LogBatch): LokiStream[] {
    const cached = this._memo.get(batch);
    if (cached !== undefined) return cached;
    const streams = new Map<string, LokiStream>();
    const perResource: (ResourceLabels | undefined)[] = new Array<
      ResourceLabels | undefined
    >(batch.resources.length);
    const values: (string | undefined)[] = new Array<string | undefined>(
      this._names.length + 1
    );
    const receivedAtNano = BigInt(batch.receivedAtMs) * 1_000_000n;
    const { records, dropped } = batch;
    for (let i = 0; i < records.length; i++) {
      if (dropped[i] !== LogDropReason.NONE) continue;
      const record = records[i]!;
      const resourceIndex = batch.scopes[record.scope]!.resource;
      const resource = batch.resources[resourceIndex]!;
      let labels = perResource[resourceIndex];
      if (labels === undefined) {
        labels = this._resourceLabels(resource);
        perResource[resourceIndex] = labels;
      }
      const level =
        this._levelLabel === ''
          ? undefined
          : levelOf(record.severityNumber, record.severityText);
      let usedRecordKeys: ReadonlySet<string> = NO_KEYS;
      let text: string | undefined;
      if (labels.isComplete || !this._fillFromRecord(labels, record, values)) {
        const levelKey = level ?? '';
        text = labels.textByLevel.get(levelKey);
        if (text === undefined) {
          for (let j = 0; j < this._names.length; j++)
            values[j] = labels.values[j];
          values[this._names.length] = level;
          text = this._labelText(values, resource);
          labels.textByLevel.set(levelKey, text);
        }
      } else {
        usedRecordKeys = this._usedRecordKeys(labels, record);
        values[this._names.length] = level;
        text = this._labelText(values, resource);
      }
      let stream = streams.get(text);
      if (stream === undefined) {
        stream = { labels: text, entries: [] };
        streams.set(text, stream);
      }
      stream.entries.push(
        this._entry(
          batch,
          record,
          resource,
          labels.usedKeys,
          usedRecordKeys,
          receivedAtNano
        )
      );
    }
    const out = [...streams.values()];
    this._memo.set(batch, out);
    return out;
  }

  private _resourceLabels(resource: LogResource): ResourceLabels {
    const values: (string | undefined)[] = [];
    const usedKeys = new Set<string>();
    let isComplete = true;
    for (let j = 0; j < this._sources.length; j++) {
      const found = findLabelValue(resource.attributes, this._sources[j]!);
      values.push(found?.value);
      if (found === undefined) isComplete = false;
      else usedKeys.add(found.key);
    }
    return { values, usedKeys, isComplete, textByLevel: new Map() };
  }

  /**
   * Fills `values` with the resource's values and, for unresolved labels,
   * the record's. Returns whether the record contributed any.
   */
  private _fillFromRecord(
    labels: ResourceLabels,
    record: LogRecord,
    values: (string | undefined)[]
  ): boolean {
    let contributed = false;
    for (let j = 0; j < this._names.length; j++) {
      let value = labels.values[j];
      if (value === undefined) {
        value = findLabelValue(record.attributes, this._sources[j]!)?.value;
        if (value !== undefined) contributed = true;
      }
      values[j] = value;
    }
    return contributed;
  }

  private _usedRecordKeys(
    labels: ResourceLabels,
    record: LogRecord
  ): ReadonlySet<string> {
    const used = new Set<string>();
    for (let j = 0; j < this._names.length; j++) {
      if (labels.values[j] !== undefined) continue;
      const found = findLabelValue(record.attributes, this._sources[j]!);
      if (found !== undefined) used.add(found.key);
    }
    return used;
  }

  /** `{a="x", b="y"}` from the values by label index, in name order; absent labels left out. */
  private _labelText(
    values: readonly (string | undefined)[],
    resource: LogResource
  ): string {
    let text = '';
    const order = this._sortedOrder;
    for (let k = 0; k < order.length; k++) {
      const index = order[k]!;
      const value = values[index];
      if (value === undefined) continue;
      const name =
        index === this._names.length ? this._levelLabel : this._names[index]!;
      text += `${text === '' ? '' : ', '}${name}=${quoteLabelValue(value)}`;
    }
    if (text === '')
      text = `${FALLBACK_LABEL}=${quoteLabelValue(resource.cluster === '' ? 'unknown' : resource.cluster)}`;
    return `{${text}}`;
  }

  private _entry(
    batch: LogBatch,
    record: LogRecord,
    resource: LogResource,
    usedResourceKeys: ReadonlySet<string>,
    usedRecordKeys: ReadonlySet<string>,
    receivedAtNano: bigint
  ): LokiEntry {
    const timeUnixNano =
      record.timeUnixNano !== 0n
        ? record.timeUnixNano
        : record.observedTimeUnixNano !== 0n
          ? record.observedTimeUnixNano
          : receivedAtNano;
    const scope = batch.scopeOf(record);
    if (this._lineFormat === 'json') {
      return {
        timeUnixNano,
        line: jsonLine(
          record,
          resource,
          scope.name,
          scope.version,
          usedResourceKeys,
          usedRecordKeys
        ),
        structuredMetadata: NO_METADATA,
      };
    }
    const line = record.body === null ? '' : formatAnyValue(record.body);
    if (!this._hasStructuredMetadata)
      return { timeUnixNano, line, structuredMetadata: NO_METADATA };
    const metadata = new Map<string, string>();
    this._addAttributes(metadata, resource.attributes, usedResourceKeys);
    if (scope.name !== '') metadata.set('scope_name', scope.name);
    if (scope.version !== '') metadata.set('scope_version', scope.version);
    this._addAttributes(metadata, record.attributes, usedRecordKeys);
    if (record.traceId !== '') metadata.set('trace_id', record.traceId);
    if (record.spanId !== '') metadata.set('span_id', record.spanId);
    if (record.severityText !== '')
      metadata.set('severity_text', record.severityText);
    if (record.severityNumber !== 0)
      metadata.set('severity_number', String(record.severityNumber));
    if (record.eventName !== '') metadata.set('event_name', record.eventName);
    const structuredMetadata: string[] = [];
    for (const [name, value] of metadata) structuredMetadata.push(name, value);
    return { timeUnixNano, line, structuredMetadata };
  }

  private _addAttributes(
    into: Map<string, string>,
    attributes: readonly LogKeyValue[],
    used: ReadonlySet<string>
  ): void {
    for (let i = 0; i < attributes.length; i++) {
      const { key, value } = attributes[i]!;
      if (used.has(key)) continue;
      const text = formatAnyValue(value);
      if (text === '') continue;
      const name = this._metadataName(key);
      if (name !== '') into.set(name, text);
    }
  }

  private _metadataName(key: string): string {
    let name = this._metadataNames.get(key);
    if (name === undefined) {
      name = sanitizeLabelName(key);
      // Bounded by clearing: keys are few, so a refill is cheap and rare.
      if (this._metadataNames.size >= MAX_CACHED_NAMES)
        this._metadataNames.clear();
      this._metadataNames.set(key, name);
    }
    return name;
  }
}

const NO_METADATA: readonly string[] = Object.freeze([]);

/** The first usable value among `keys`, with the key it came from. */
function findLabelValue(
  attributes: readonly LogKeyValue[],
  keys: readonly string[]
): { key: string; value: string } | undefined {
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes[i]!;
      if (attribute.key !== key) continue;
      const value = formatAnyValue(attribute.value);
      if (isUsableLabelValue(key, value)) return { key, value };
      break;
    }
  }
  return undefined;
}

function isUsableLabelValue(key: string, value: string): boolean {
  if (value === '') return false;
  // The SDK's placeholder when no service name was configured (semconv): let the next source speak.
  if (key === SERVICE_NAME_KEY && value.startsWith(UNKNOWN_SERVICE_PREFIX))
    return false;
  return (
    value.length * 3 <= MAX_LOKI_LABEL_VALUE_BYTES ||
    Buffer.byteLength(value) <= MAX_LOKI_LABEL_VALUE_BYTES
  );
}

const LONE_SURROGATE_RE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A label value in Loki's push syntax: a double-quoted Go string literal.
 * JSON's escaping is a subset Go's strconv.Unquote reads, except for lone
 * surrogates (possible only from JSON input), which become U+FFFD first.
 */
export function quoteLabelValue(value: string): string {
  return JSON.stringify(value.replace(LONE_SURROGATE_RE, '\uFFFD'));
}

// ---- line_format: json --------------------------------------------------------

function jsonLine(
  record: LogRecord,
  resource: LogResource,
  scopeName: string,
  scopeVersion: string,
  usedResourceKeys: ReadonlySet<string>,
  usedRecordKeys: ReadonlySet<string>
): string {
  const line: Record<string, unknown> = { body: toJsonValue(record.body) };
  if (record.severityText !== '') line['severity'] = record.severityText;
  if (record.severityNumber !== 0)
    line['severity_number'] = record.severityNumber;
  if (record.traceId !== '') line['traceid'] = record.traceId;
  if (record.spanId !== '') line['spanid'] = record.spanId;
  if (record.eventName !== '') line['event_name'] = record.eventName;
  const attributes = jsonAttributes(record.attributes, usedRecordKeys);
  if (attributes !== undefined) line['attributes'] = attributes;
  const resources = jsonAttributes(resource.attributes, usedResourceKeys);
  if (resources !== undefined) line['resources'] = resources;
  if (scopeName !== '' || scopeVersion !== '') {
    line['instrumentation_scope'] =
      scopeVersion === ''
        ? { name: scopeName }
        : { name: scopeName, version: scopeVersion };
  }
  return JSON.stringify(line);
}

function jsonAttributes(
  attributes: readonly LogKeyValue[],
  used: ReadonlySet<string>
): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < attributes.length; i++) {
    const { key, value } = attributes[i]!;
    if (used.has(key)) continue;
    out ??= {};
    out[key] = toJsonValue(value);
  }
  return out;
}

/** An AnyValue as a JSON-ready value: ints exact (as text past 2^53), bytes base64, non-finite doubles as text. */
function toJsonValue(value: LogAnyValue): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'bigint':
      return value >= -9007199254740991n && value <= 9007199254740991n
        ? Number(value)
        : value.toString();
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    default:
      break;
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return formatAnyValue(value);
  if (Array.isArray(value)) return value.map(toJsonValue);
  const out: Record<string, unknown> = {};
  for (const kv of value.kvlist) out[kv.key] = toJsonValue(kv.value);
  return out;
}
