/**
 * OTLP → Prometheus names (PROTOCOLS.md §2.9; OTel spec "Prometheus and
 * OpenMetrics compatibility", which prometheus/otlptranslator implements):
 * metric names with unit and type suffixes, label names, and the float
 * rendering of `le` and `quantile`.
 */

/** Which type suffix a metric name gets. */
export type MetricNameKind = 'gauge' | 'counter' | 'other';

/** UCUM units to the words Prometheus puts in names. Unknown units pass through (sanitized). */
const UNIT_WORDS: ReadonlyMap<string, string> = new Map([
  // time
  ['d', 'days'],
  ['h', 'hours'],
  ['min', 'minutes'],
  ['s', 'seconds'],
  ['ms', 'milliseconds'],
  ['us', 'microseconds'],
  ['ns', 'nanoseconds'],
  // bytes
  ['By', 'bytes'],
  ['KiBy', 'kibibytes'],
  ['MiBy', 'mebibytes'],
  ['GiBy', 'gibibytes'],
  ['TiBy', 'tebibytes'],
  ['KBy', 'kilobytes'],
  ['MBy', 'megabytes'],
  ['GBy', 'gigabytes'],
  ['TBy', 'terabytes'],
  // SI
  ['m', 'meters'],
  ['V', 'volts'],
  ['A', 'amperes'],
  ['J', 'joules'],
  ['W', 'watts'],
  ['g', 'grams'],
  // misc
  ['Cel', 'celsius'],
  ['Hz', 'hertz'],
  ['1', ''],
  ['%', 'percent'],
]);

/** The denominator of `a/b` units, in the singular ("per second"). */
const PER_UNIT_WORDS: ReadonlyMap<string, string> = new Map([
  ['s', 'second'],
  ['m', 'minute'],
  ['h', 'hour'],
  ['d', 'day'],
  ['w', 'week'],
  ['mo', 'month'],
  ['y', 'year'],
]);

/**
 * The Prometheus metric name for an OTLP metric: the name is split into
 * tokens at every character outside `[a-zA-Z0-9:]` (which also collapses
 * runs of `_`), the unit words are appended unless the name already contains
 * them, then `_total` (counters) or `_ratio` (gauges with unit `1`), moved to
 * the end if the name had them elsewhere. A leading digit gets a `_` prefix.
 *
 * "Already contains" follows otlptranslator and the spec text ("unless the
 * metric name already contains the unit"): `bytes.received` with unit `By`
 * stays `bytes_received`. Multi-word units must appear as consecutive tokens.
 *
 * @returns the name, or '' when nothing valid is left (e.g. name `...`).
 */
export function buildMetricName(
  name: string,
  unit: string,
  kind: MetricNameKind
): string {
  const tokens = splitNameTokens(name);
  if (tokens.length === 0) return '';

  const slash = unit.indexOf('/');
  const mainUnit = (slash === -1 ? unit : unit.slice(0, slash)).trim();
  const perUnit = slash === -1 ? '' : unit.slice(slash + 1).trim();
  let mainWord = '';
  if (mainUnit !== '' && !hasBraces(mainUnit)) {
    mainWord = cleanUnitWord(UNIT_WORDS.get(mainUnit) ?? mainUnit);
  }
  let perWord = '';
  if (perUnit !== '' && !hasBraces(perUnit)) {
    const word = cleanUnitWord(PER_UNIT_WORDS.get(perUnit) ?? perUnit);
    if (word !== '') perWord = `per_${word}`;
  }
  if (mainWord !== '' && !containsTokens(tokens, mainWord))
    tokens.push(...mainWord.split('_'));
  if (perWord !== '' && !containsTokens(tokens, perWord))
    tokens.push(...perWord.split('_'));

  if (kind === 'counter') moveTokenToEnd(tokens, 'total');
  else if (kind === 'gauge' && unit === '1') moveTokenToEnd(tokens, 'ratio');

  const joined = tokens.join('_');
  const first = joined.charCodeAt(0);
  return first >= 0x30 && first <= 0x39 ? `_${joined}` : joined;
}

/** The unit as it appears in names (`ms` → `milliseconds`, `By/s` → `bytes_per_second`, `1` → ''). */
export function buildUnitName(unit: string): string {
  const slash = unit.indexOf('/');
  const mainUnit = (slash === -1 ? unit : unit.slice(0, slash)).trim();
  const perUnit = slash === -1 ? '' : unit.slice(slash + 1).trim();
  const mainWord =
    mainUnit === '' || hasBraces(mainUnit)
      ? ''
      : cleanUnitWord(UNIT_WORDS.get(mainUnit) ?? mainUnit);
  const perWord =
    perUnit === '' || hasBraces(perUnit)
      ? ''
      : cleanUnitWord(PER_UNIT_WORDS.get(perUnit) ?? perUnit);
  if (perWord === '') return mainWord;
  return mainWord === '' ? `per_${perWord}` : `${mainWord}_per_${perWord}`;
}

/**
 * A Prometheus label name for an OTLP attribute key: characters outside
 * `[a-zA-Z0-9_]` become `_`, runs of `_` collapse to one (spec "Metric
 * Attributes"), a leading digit gets `key_` and a leading `_` gets `key`.
 * Because the collapse turns `__x` into `_x`, no attribute can produce a
 * reserved `__`-prefixed label such as `__name__`.
 *
 * @returns the label name, or '' for an empty key.
 */
export function sanitizeLabelName(key: string): string {
  if (isCleanLabelName(key)) return key;
  let out = '';
  let lastWasUnderscore = false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (isAlphaNumeric(c)) {
      out += key[i]!;
      lastWasUnderscore = false;
    } else if (!lastWasUnderscore) {
      out += '_';
      lastWasUnderscore = true;
    }
  }
  if (out === '') return '';
  const first = out.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) return `key_${out}`;
  if (first === 0x5f) return `key${out}`;
  return out;
}

/**
 * The `le` and `quantile` text Prometheus' OTLP translator writes (Go's
 * `'f'` float form); defined with the other `le` formatting in
 * model/le-text.ts.
 */
export { formatLe as formatPrometheusFloat } from '../../model/index.js';

function splitNameTokens(name: string): string[] {
  const tokens: string[] = [];
  let start = -1;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (isAlphaNumeric(c) || c === 0x3a /* : */) {
      if (start === -1) start = i;
    } else if (start !== -1) {
      tokens.push(name.slice(start, i));
      start = -1;
    }
  }
  if (start !== -1) tokens.push(name.slice(start));
  return tokens;
}

/** Unit words keep `[a-zA-Z0-9:]`; anything else becomes one `_`, trimmed at both ends. */
function cleanUnitWord(word: string): string {
  return splitNameTokens(word).join('_');
}

function containsTokens(tokens: readonly string[], word: string): boolean {
  const parts = word.split('_');
  for (let i = 0; i + parts.length <= tokens.length; i++) {
    let match = true;
    for (let j = 0; j < parts.length; j++) {
      if (tokens[i + j] !== parts[j]) {
        match = false;
        break;
      }
    }
    if (match) return true;
  }
  return false;
}

function moveTokenToEnd(tokens: string[], token: string): void {
  let write = 0;
  for (let read = 0; read < tokens.length; read++) {
    if (tokens[read] !== token) tokens[write++] = tokens[read]!;
  }
  tokens.length = write;
  tokens.push(token);
}

function hasBraces(unit: string): boolean {
  return unit.includes('{') || unit.includes('}');
}

function isAlphaNumeric(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39)
  );
}

/** True when the key needs no rewriting: `[a-zA-Z][a-zA-Z0-9]*(_[a-zA-Z0-9]+)*`. */
function isCleanLabelName(key: string): boolean {
  if (key.length === 0) return false;
  const first = key.charCodeAt(0);
  if (!((first >= 0x61 && first <= 0x7a) || (first >= 0x41 && first <= 0x5a)))
    return false;
  let lastWasUnderscore = false;
  for (let i = 1; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === 0x5f) {
      if (lastWasUnderscore) return false;
      lastWasUnderscore = true;
    } else if (isAlphaNumeric(c)) {
      lastWasUnderscore = false;
    } else {
      return false;
    }
  }
  return true;
}
