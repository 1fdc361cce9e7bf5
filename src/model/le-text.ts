/**
 * `le` (and `quantile`) label text, in one place.
 *
 * fleetgate writes bounds as Prometheus' OTLP translator does, Go's
 * `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest decimal that
 * round-trips, never in exponent form (`0.005`, `1`, `1e-7` → `0.0000001`),
 * and `+Inf`/`-Inf`/`NaN` (formatLe). That is the text of the `le` labels
 * the OTLP converter forwards and the text the SLO engine reports bounds in.
 *
 * Other writers spell the same bound differently: client_golang's text
 * format uses Go's `'g'` form (`1e-07`, `1e+06`), which formatGoFloat gives,
 * so a matcher can list every spelling (slo/rules/le-matcher.ts).
 */

/** A float as Go's `strconv.FormatFloat(value, 'f', -1, 64)` (Prometheus' OTLP `le` and `quantile` text). */
export function formatLe(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const text = String(value);
  const e = text.indexOf('e');
  if (e === -1) return text;
  // Expand JS exponent form: "-1.25e-7" → sign "-", digits "125", point after 1 + (-7).
  const isNegative = text.charCodeAt(0) === 0x2d;
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
 * A float as Go's `strconv.FormatFloat(value, 'g', -1, 64)`, which is how
 * client_golang writes `le` in the text format: shortest round-trip digits,
 * exponent form when the decimal exponent is below -4 or at least 6, with at
 * least two exponent digits.
 */
export function formatGoFloat(value: number): string {
  if (!Number.isFinite(value) || value === 0) return formatLe(value);
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
  return formatLe(value);
}

/** `le` label text → bound, in any writer's spelling (`+Inf` → Infinity; NaN when missing or not a number). */
export function parseLe(text: string | undefined): number {
  if (text === undefined || text === '') return Number.NaN;
  if (text === '+Inf' || text === 'Inf' || text === 'inf' || text === '+inf')
    return Number.POSITIVE_INFINITY;
  return Number(text);
}
