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
import { formatGoFloat, formatLe } from '../../model/index.js';

/**
 * Every spelling of `threshold` as an `le` value (see the table above), the
 * Go `'g'` one first, without duplicates.
 */
export function leSpellings(threshold: number): string[] {
  const go = formatGoFloat(threshold);
  const openMetrics = /[.e]/.test(go) ? go : `${go}.0`;
  const fixed = formatLe(threshold);
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
