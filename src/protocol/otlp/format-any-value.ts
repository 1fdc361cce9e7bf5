/**
 * Renders an OTLP AnyValue as Prometheus label text. The spec says non-string
 * attributes are converted "following the attribute specification", which
 * the collector's pdata `Value.AsString()` implements and Prometheus uses:
 *
 * | AnyValue | label text                                           |
 * |----------|------------------------------------------------------|
 * | string   | as is                                                |
 * | bool     | `true` / `false`                                     |
 * | int      | decimal, all 64 bits (`-9223372036854775808`)        |
 * | double   | JS number text (`1.5`, `1e+21`); pdata uses the same ES6 rule |
 * | bytes    | standard base64                                      |
 * | array    | JSON array of the rendered elements                  |
 * | kvlist   | JSON object, keys in wire order                      |
 * | empty    | '' (so the label is dropped)                         |
 */
import type { OtlpAnyValue } from './otlp-metrics-model.js';

/** The label text of an attribute value. */
export function formatAnyValue(value: OtlpAnyValue): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      return String(value);
    default:
      if (value === null) return '';
      if (value instanceof Uint8Array)
        return Buffer.from(
          value.buffer,
          value.byteOffset,
          value.byteLength
        ).toString('base64');
      return anyValueToJson(value);
  }
}

/** JSON text of an AnyValue inside an array or kvlist. */
function anyValueToJson(value: OtlpAnyValue): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      // JSON has no NaN/Infinity; render them as strings rather than `null`.
      return Number.isFinite(value)
        ? String(value)
        : JSON.stringify(String(value));
    default: {
      if (value === null) return 'null';
      if (value instanceof Uint8Array)
        return JSON.stringify(formatAnyValue(value));
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += anyValueToJson(value[i]!);
        }
        return `${out}]`;
      }
      let out = '{';
      const kvlist = value.kvlist;
      for (let i = 0; i < kvlist.length; i++) {
        if (i > 0) out += ',';
        out += `${JSON.stringify(kvlist[i]!.key)}:${anyValueToJson(kvlist[i]!.value)}`;
      }
      return `${out}}`;
    }
  }
}
