/**
 * Prometheus relabel regexes are RE2, compiled fully anchored as
 * `^(?s:<regex>)$`. This module turns one into an equivalent JS RegExp and
 * implements Go's `Regexp.Expand` template syntax (`$1`, `${1}`, `$name`,
 * `${name}`, `$$`), whose rules differ from JS's String.replace: in Go `$1x`
 * names the group "1x" (which expands to nothing), not group 1 then "x".
 */

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** An anchored relabel regex with the group names Go's Expand can refer to. */
export interface RelabelRegex {
  readonly source: string;
  readonly regexp: RegExp;
  /** Number of capture groups. */
  readonly groupCount: number;
}

/** Translates RE2 syntax that JS spells differently; throws SyntaxError for what JS cannot express. */
function translateRe2(source: string): { pattern: string; flags: string } {
  let flags = '';
  let pattern = source;
  // Leading inline flags, e.g. (?i) — JS (Node 20) has no inline modifiers.
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead !== null) {
    if (lead[1]!.includes('U'))
      throw new SyntaxError('the U (ungreedy) flag is not supported');
    if (lead[1]!.includes('i')) flags += 'i';
    if (lead[1]!.includes('m')) flags += 'm';
    pattern = pattern.slice(lead[0].length);
  }
  pattern = pattern
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\[:(\^?)([a-z]+):\]/g, (whole, negate: string, name: string) => {
      const cls = POSIX_CLASSES[name];
      if (cls === undefined)
        throw new SyntaxError(`unknown POSIX class [:${name}:]`);
      if (negate !== '')
        throw new SyntaxError(`negated POSIX class ${whole} is not supported`);
      return cls;
    })
    .replace(/\\z/g, '(?![\\s\\S])')
    .replace(/\\A/g, '(?<![\\s\\S])');
  if (/\(\?[a-zA-Z]/.test(pattern) && !/\(\?<[A-Za-z_]/.test(pattern)) {
    throw new SyntaxError(
      'inline flags are only supported at the start of the regex'
    );
  }
  return { pattern, flags };
}

/** Compiles a relabel regex as Prometheus does: `^(?s:regex)$`. */
export function compileRelabelRegex(source: string): RelabelRegex {
  const { pattern, flags } = translateRe2(source);
  let regexp: RegExp;
  try {
    // 'u' gives \p{…} classes like RE2; patterns JS rejects under 'u' (needless escapes) retry without it.
    regexp = new RegExp(`^(?:${pattern})$`, `s${flags}u`);
  } catch {
    regexp = new RegExp(`^(?:${pattern})$`, `s${flags}`);
  }
  const groupCount =
    new RegExp(`${regexp.source}|`, regexp.flags).exec('')!.length - 1;
  return { source, regexp, groupCount };
}

/** A precompiled Go-style template: literal parts and group references. */
export type ExpandTemplate = readonly (
  string | { readonly group: number | string }
)[];

const NAME_CHAR = /[A-Za-z0-9_]/;

/** Parses a Go `Regexp.Expand` template once. */
export function parseTemplate(template: string): ExpandTemplate {
  const parts: (string | { group: number | string })[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch !== '$') {
      literal += ch;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      literal += '$';
      i++;
      continue;
    }
    let name = '';
    let end = i + 1;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close === -1 ? '' : template.slice(i + 2, close);
      if (close === -1 || inner === '' || !/^[A-Za-z0-9_]+$/.test(inner)) {
        // Go keeps a malformed reference literally.
        literal += ch;
        continue;
      }
      name = inner;
      end = close + 1;
    } else {
      while (end < template.length && NAME_CHAR.test(template[end]!))
        name += template[end++]!;
      if (name === '') {
        literal += ch;
        continue;
      }
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push({ group: /^\d+$/.test(name) ? Number(name) : name });
    i = end - 1;
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

/** True when the template has no group reference (expansion is the literal). */
export function isLiteralTemplate(template: ExpandTemplate): boolean {
  return template.every(part => typeof part === 'string');
}

/** Expands a parsed template against a match; unknown groups expand to ''. */
export function expandTemplate(
  template: ExpandTemplate,
  match: RegExpExecArray
): string {
  let out = '';
  for (const part of template) {
    if (typeof part === 'string') out += part;
    else if (typeof part.group === 'number') out += match[part.group] ?? '';
    else out += match.groups?.[part.group] ?? '';
  }
  return out;
}
