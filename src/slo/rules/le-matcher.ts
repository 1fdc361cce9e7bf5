/**
 * The `le` label matcher for a latency SLI's threshold bucket.
 *
 * The same bound is spelled differently depending on who wrote the series:
 *
 * | writer                                                   | 1       | 0.3   | 1e6       |
 * |----------------------------------------------------------|---------|-------|-----------|
 * | client_golang text format (Go `strconv` `'g'`, shortest)  | `1`     | `0.3` | `1e+06`   |
 * | Prometheus protobuf scrape, Prometheus 3 (`FormatOpenMetricsFloat`) | `1.0` | `0.3` | `1e+06` |
 * | OTLP → Prometheus (otlptranslator, fleetgate's converter: `'f'`)   | `1`   | `0.3` | `1000000` |
 *
 * A matcher on one spelling silently matches nothing for the others (the SLI
 * then has no data), so when the spellings differ the matcher is a regex over
 * all of them. A target exposes one spelling at a time, so the alternatives
 * never double count within one series.
 */

/**
 * Formats a float as Go's `strconv.FormatFloat(value, 'g', -1, 64)`, which
 * is how client_golang writes `le` in the text format and how Prometheus
 * formats floats: shortest round-trip digits, exponent form when the decimal
 * exponent is below -4 or at least 6, with at least two exponent digits.
 */
export function formatGoFloat(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  // toExponential() without digits gives the shortest round-trip mantissa,
  // the same digits Go's shortest formatting chooses.
  const [mantissa, exponentText] = value.toExponential().split('e') as [
    string,
    string,
  ];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  return formatFixedFloat(value);
}

/**
 * Formats a float in plain decimal notation without exponent, as Go's
 * `strconv.FormatFloat(value, 'f', -1, 64)` (otlptranslator's `le`).
 */
export function formatFixedFloat(value: number): string {
  if (!Number.isFinite(value)) return formatGoFloat(value);
  const text = String(value);
  const e = text.indexOf('e');
  if (e === -1) return text;
  const isNegative = text.startsWith('-');
  const mantissa = text.slice(isNegative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits =
    dot === -1 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const pointAt = (dot === -1 ? mantissa.length : dot) + exponent;
  let out: string;
  if (pointAt <= 0) out = `0.${'0'.repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length)
    out = digits + '0'.repeat(pointAt - digits.length);
  else out = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return isNegative ? `-${out}` : out;
}

/**
 * Every spelling of `threshold` as an `le` value (see the table above), the
 * Go `'g'` one first, without duplicates.
 */
export function leSpellings(threshold: number): string[] {
  const go = formatGoFloat(threshold);
  const openMetrics = /[.e]/.test(go) ? go : `${go}.0`;
  const fixed = formatFixedFloat(threshold);
  return [...new Set([go, openMetrics, fixed])];
}

const REGEX_META_RE = /[\\^$.|?*+()[\]{}]/g;

/**
 * The PromQL label matcher selecting the bucket at `threshold`:
 * `le="0.3"` when all writers agree, else `le=~"1|1\\.0"`.
 */
export function formatLeMatcher(threshold: number): string {
  const spellings = leSpellings(threshold);
  if (spellings.length === 1) return `le="${spellings[0]!}"`;
  // Regex-escape, then escape the backslashes for the PromQL string literal.
  const pattern = spellings
    .map(s => s.replace(REGEX_META_RE, '\\$&'))
    .join('|');
  return `le=~"${pattern.replace(/\\/g, '\\\\')}"`;
}
