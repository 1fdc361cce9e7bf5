/**
 * Test-only builders for OTLP logs: a compact spec → an OTLP/JSON request
 * object (PROTOCOLS.md §2.8) → a LogBatch through the JSON decoder, so one
 * fixture yields the JSON body, the protobuf body (otlp-logs-reference.ts)
 * and the batch.
 */
import type { LogBatch } from '../../src/model/log-batch.js';
import { decodeLogsJson } from '../../src/protocol/index.js';

/** A value as written in a spec: string, number (integer → intValue), boolean, array, object (kvlist), null. */
export type SpecValue =
  string | number | boolean | null | SpecValue[] | { [key: string]: SpecValue };

export interface RecordSpec {
  readonly body?: SpecValue;
  readonly attributes?: Record<string, SpecValue>;
  readonly severityNumber?: number;
  readonly severityText?: string;
  readonly timeUnixNano?: string;
  readonly observedTimeUnixNano?: string;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly flags?: number;
  readonly eventName?: string;
}

export interface ScopeSpec {
  readonly name?: string;
  readonly version?: string;
  readonly attributes?: Record<string, SpecValue>;
  readonly records: readonly RecordSpec[];
}

export interface ResourceSpec {
  readonly attributes?: Record<string, SpecValue>;
  readonly schemaUrl?: string;
  /** Shorthand for one unnamed scope. */
  readonly records?: readonly RecordSpec[];
  readonly scopes?: readonly ScopeSpec[];
}

/** An OTLP/JSON AnyValue. */
export function anyValueJson(value: SpecValue): Record<string, unknown> {
  if (value === null) return {};
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number')
    return Number.isInteger(value)
      ? { intValue: String(value) }
      : { doubleValue: value };
  if (Array.isArray(value))
    return { arrayValue: { values: value.map(anyValueJson) } };
  return { kvlistValue: { values: attributesJson(value) } };
}

export function attributesJson(
  attributes: Record<string, SpecValue>
): Record<string, unknown>[] {
  return Object.entries(attributes).map(([key, value]) => ({
    key,
    value: anyValueJson(value),
  }));
}

function recordJson(record: RecordSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (record.timeUnixNano !== undefined)
    out['timeUnixNano'] = record.timeUnixNano;
  if (record.observedTimeUnixNano !== undefined)
    out['observedTimeUnixNano'] = record.observedTimeUnixNano;
  if (record.severityNumber !== undefined)
    out['severityNumber'] = record.severityNumber;
  if (record.severityText !== undefined)
    out['severityText'] = record.severityText;
  if (record.body !== undefined) out['body'] = anyValueJson(record.body);
  if (record.attributes !== undefined)
    out['attributes'] = attributesJson(record.attributes);
  if (record.flags !== undefined) out['flags'] = record.flags;
  if (record.traceId !== undefined) out['traceId'] = record.traceId;
  if (record.spanId !== undefined) out['spanId'] = record.spanId;
  if (record.eventName !== undefined) out['eventName'] = record.eventName;
  return out;
}

/** The OTLP/JSON `ExportLogsServiceRequest` object of a spec. */
export function otlpLogsRequest(
  resources: readonly ResourceSpec[]
): Record<string, unknown> {
  return {
    resourceLogs: resources.map(resource => {
      const scopes = resource.scopes ?? [{ records: resource.records ?? [] }];
      const out: Record<string, unknown> = {
        resource: { attributes: attributesJson(resource.attributes ?? {}) },
        scopeLogs: scopes.map(scope => {
          const scopeOut: Record<string, unknown> = {
            logRecords: scope.records.map(recordJson),
          };
          if (
            scope.name !== undefined ||
            scope.version !== undefined ||
            scope.attributes !== undefined
          ) {
            scopeOut['scope'] = {
              name: scope.name ?? '',
              version: scope.version ?? '',
              attributes: attributesJson(scope.attributes ?? {}),
            };
          }
          return scopeOut;
        }),
      };
      if (resource.schemaUrl !== undefined)
        out['schemaUrl'] = resource.schemaUrl;
      return out;
    }),
  };
}

/** The OTLP/JSON body (UTF-8 bytes) of a spec. */
export function otlpLogsJsonBody(
  resources: readonly ResourceSpec[]
): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(otlpLogsRequest(resources)));
}

/** A LogBatch of a spec (through the JSON decoder). */
export function buildLogBatch(
  resources: readonly ResourceSpec[],
  receivedAtMs = 0
): LogBatch {
  const batch = decodeLogsJson(otlpLogsJsonBody(resources));
  batch.receivedAtMs = receivedAtMs;
  return batch;
}
