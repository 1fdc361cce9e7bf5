/**
 * Reading the Prometheus text format in tests: the families a scrape
 * declares, and single sample values.
 */

/**
 * The `# TYPE` lines of an exposition, family name → type. Throws on a
 * family declared twice (one scrape must declare each family once).
 */
export function familyTypes(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (match === null) continue;
    const name = match[1]!;
    if (types.has(name))
      throw new Error(
        `cannot read the exposition: second TYPE line for ${name}`
      );
    types.set(name, match[2]!);
  }
  return types;
}

/** The value of the one sample line that starts with `prefix`; throws unless exactly one does. */
export function sampleValue(text: string, prefix: string): number {
  const lines = text.split('\n').filter(l => l.startsWith(prefix));
  if (lines.length !== 1)
    throw new Error(
      `cannot read the sample: ${lines.length} lines start with ${prefix}`
    );
  const line = lines[0]!;
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}
