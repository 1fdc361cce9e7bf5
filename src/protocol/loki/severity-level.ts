/**
 * The `level` of a log record, from OTLP's severity: a small fixed set, so a
 * level stream label can never add more than six streams per stream.
 *
 * severity_number decides when set (PROTOCOLS.md §2.7: TRACE 1–4, DEBUG 5–8,
 * INFO 9–12, WARN 13–16, ERROR 17–20, FATAL 21–24); otherwise
 * severity_text is matched against the usual spellings (syslog, Go, Java,
 * Python, Kubernetes event types). Anything else has no level, and the label
 * is left out: Loki can still detect one from the line.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const BY_RANGE: readonly LogLevel[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
];

const BY_TEXT: ReadonlyMap<string, LogLevel> = new Map<string, LogLevel>([
  ['trace', 'trace'],
  ['debug', 'debug'],
  ['dbg', 'debug'],
  ['info', 'info'],
  ['information', 'info'],
  ['informational', 'info'],
  ['notice', 'info'],
  ['normal', 'info'],
  ['warn', 'warn'],
  ['warning', 'warn'],
  ['error', 'error'],
  ['err', 'error'],
  ['severe', 'error'],
  ['fatal', 'fatal'],
  ['critical', 'fatal'],
  ['crit', 'fatal'],
  ['panic', 'fatal'],
  ['alert', 'fatal'],
  ['emerg', 'fatal'],
  ['emergency', 'fatal'],
]);

/** The level of a record, or undefined when its severity says nothing usable. */
export function levelOf(
  severityNumber: number,
  severityText: string
): LogLevel | undefined {
  if (severityNumber >= 1 && severityNumber <= 24)
    return BY_RANGE[(severityNumber - 1) >> 2];
  if (severityText === '') return undefined;
  // "WARN2", "Error " and "info" alike: trimmed, lowercased, trailing digits dropped.
  const key = severityText
    .trim()
    .toLowerCase()
    .replace(/[0-9]+$/, '');
  return BY_TEXT.get(key);
}
