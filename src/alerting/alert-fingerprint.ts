/**
 * The identity of an alert: its labels sorted by name, empty values left
 * out, as Alertmanager identifies them (an empty label is an absent one in
 * Prometheus' data model).
 */

// Label names and values never contain these bytes in practice and the key
// never leaves the process, so one separator each keeps pairs apart.
const PAIR_SEPARATOR = '\xff';
const NAME_SEPARATOR = '\xfe';

/** A string equal for two label sets exactly when Alertmanager treats them as one alert. */
export function alertFingerprint(
  labels: Readonly<Record<string, string>>
): string {
  const names = Object.keys(labels).sort();
  let key = '';
  for (const name of names) {
    const value = labels[name];
    if (value === undefined || value === '') continue;
    key += `${name}${NAME_SEPARATOR}${value}${PAIR_SEPARATOR}`;
  }
  return key;
}
