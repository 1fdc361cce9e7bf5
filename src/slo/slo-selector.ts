/**
 * Prometheus series selectors for SLO specs: `metric{a="b",c=~"5..",d!="x",e!~"y"}`,
 * `{__name__="metric",…}`, Prometheus 3 quoted names (`{"my.metric", "a.b"="c"}`),
 * Go-style strings ("…", '…' with escapes, `…` raw) and a trailing comma.
 *
 * Semantics follow PromQL (prometheus/model/labels/matcher.go):
 * - a missing label matches as the empty string (`code=""` selects series
 *   without `code`; `code!=""` selects series that have it);
 * - regexes are RE2, fully anchored as `^(?s:re)$`; they are translated by
 *   the relabel module's compileRelabelRegex so relabel rules and selectors
 *   accept the same syntax;
 * - a selector needs at least one matcher that does not match the empty
 *   string ("vector selector must contain at least one non-empty matcher").
 *
 * Selectors are matched once per series (the engine memoizes the outcome per
 * stable label array), so matching favours clarity over speed.
 */
// The leaf module, not pipeline/index.js: config/ validates SLO specs with
// this parser, and pipeline/index.js would pull the whole pipeline (and a
// config import cycle) into config loading, as schema.ts avoids for relabel.
import { compileRelabelRegex } from '../pipeline/relabel-regex.js';
import { METRIC_NAME_LABEL } from '../model/labels.js';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
  /** The anchored regex of `=~` / `!~`; undefined for equality matchers. */
  readonly regexp: RegExp | undefined;
}

export interface SloSelector {
  /** The text as written (for messages). */
  readonly text: string;
  readonly matchers: readonly LabelMatcher[];
  /** The metric name when an equality matcher on `__name__` fixes it (used to index selectors by name). */
  readonly metricName: string | undefined;
}

/** A selector that cannot be parsed; the message quotes it and says where and why. */
export class SelectorSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorSyntaxError';
  }
}

const IDENTIFIER_START = /[a-zA-Z_:]/;
const IDENTIFIER_PART = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_PART = /[a-zA-Z0-9_]/;
const SPACE = /\s/;
const OPERATORS: readonly MatchOp[] = ['!=', '=~', '!~', '='];
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

export interface ParseSelectorOptions {
  /**
   * Accept a selector where every matcher matches the empty string (`{}`):
   * a latency SLI's selector is combined with the histogram's name later.
   */
  readonly allowEmpty?: boolean;
}

/**
 * Parses a series selector.
 *
 * @throws SelectorSyntaxError naming the problem and its position.
 */
export function parseSloSelector(
  text: string,
  options: ParseSelectorOptions = {}
): SloSelector {
  const matchers = new SelectorParser(text).parse();
  if (options.allowEmpty !== true && matchers.every(m => matchesValue(m, ''))) {
    throw new SelectorSyntaxError(
      `cannot parse selector ${JSON.stringify(text)}: it needs at least one matcher that does not match the empty string (e.g. a metric name)`
    );
  }
  return { text, matchers, metricName: metricNameOfMatchers(matchers) };
}

/** A selector with extra matchers appended (e.g. the histogram name of a latency SLI). */
export function withMatchers(
  selector: SloSelector,
  extra: readonly LabelMatcher[],
  text: string
): SloSelector {
  const matchers = [...selector.matchers, ...extra];
  return { text, matchers, metricName: metricNameOfMatchers(matchers) };
}

/** An equality matcher (no regex). */
export function equalityMatcher(name: string, value: string): LabelMatcher {
  return { name, op: '=', value, regexp: undefined };
}

/** Whether a sorted flat label array `[name0, value0, …]` matches every matcher. */
export function matchesSloSelector(
  selector: SloSelector,
  labels: readonly string[]
): boolean {
  const matchers = selector.matchers;
  for (let m = 0; m < matchers.length; m++) {
    const matcher = matchers[m]!;
    let value = '';
    for (let i = 0; i < labels.length; i += 2) {
      if (labels[i] === matcher.name) {
        value = labels[i + 1]!;
        break;
      }
    }
    if (!matchesValue(matcher, value)) return false;
  }
  return true;
}

/** True when the matcher accepts `value` (a missing label is ''). */
export function matchesValue(matcher: LabelMatcher, value: string): boolean {
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return matcher.regexp!.test(value);
    case '!~':
      return !matcher.regexp!.test(value);
  }
}

function metricNameOfMatchers(
  matchers: readonly LabelMatcher[]
): string | undefined {
  for (const m of matchers)
    if (m.name === METRIC_NAME_LABEL && m.op === '=' && m.value !== '')
      return m.value;
  return undefined;
}

class SelectorParser {
  private readonly _text: string;
  private _at = 0;

  constructor(text: string) {
    this._text = text;
  }

  parse(): LabelMatcher[] {
    const matchers: LabelMatcher[] = [];
    this._skipSpace();
    if (this._at >= this._text.length) this._fail('the selector is empty');
    let hasName = false;
    if (IDENTIFIER_START.test(this._peek())) {
      const name = this._identifier(IDENTIFIER_START, IDENTIFIER_PART);
      this._skipSpace();
      if (this._peek() === '(') {
        this._fail(
          `${JSON.stringify(name)} looks like a function call: want a series selector such as metric{label="value"} (fleetgate computes the increase itself)`
        );
      }
      matchers.push(equalityMatcher(METRIC_NAME_LABEL, name));
      hasName = true;
    }
    if (this._peek() === '{') {
      this._at++;
      this._matchers(matchers, hasName);
    }
    this._skipSpace();
    if (this._at < this._text.length) {
      const c = this._peek();
      if (c === '[')
        this._fail(
          'a range ([5m]) is not allowed: want a plain series selector (fleetgate keeps its own windows)'
        );
      this._fail(`unexpected ${JSON.stringify(c)}`);
    }
    return matchers;
  }

  private _matchers(out: LabelMatcher[], hasName: boolean): void {
    for (;;) {
      this._skipSpace();
      if (this._peek() === '}') {
        this._at++;
        return;
      }
      const first = this._peek();
      const isQuoted = first === '"' || first === "'" || first === '`';
      let name: string;
      if (isQuoted) name = this._string();
      else if (LABEL_START.test(first))
        name = this._identifier(LABEL_START, LABEL_PART);
      else
        return this._fail(
          first === ''
            ? 'unterminated "{"'
            : `want a label name, got ${JSON.stringify(first)}`
        );
      this._skipSpace();
      const next = this._peek();
      if (isQuoted && (next === ',' || next === '}')) {
        // Prometheus 3: a lone quoted string in braces is the metric name.
        if (hasName) this._fail('the metric name is set twice');
        out.push(equalityMatcher(METRIC_NAME_LABEL, name));
        hasName = true;
      } else {
        const op = this._operator(name);
        this._skipSpace();
        const quote = this._peek();
        if (quote !== '"' && quote !== "'" && quote !== '`')
          this._fail(`want a quoted value for label ${JSON.stringify(name)}`);
        const valueAt = this._at;
        const value = this._string();
        out.push(this._matcher(name, op, value, valueAt));
      }
      this._skipSpace();
      const separator = this._peek();
      if (separator === ',') this._at++;
      else if (separator !== '}')
        this._fail(
          separator === ''
            ? 'unterminated "{"'
            : `want "," or "}", got ${JSON.stringify(separator)}`
        );
    }
  }

  private _matcher(
    name: string,
    op: MatchOp,
    value: string,
    valueAt: number
  ): LabelMatcher {
    if (op === '=' || op === '!=')
      return { name, op, value, regexp: undefined };
    try {
      return { name, op, value, regexp: compileRelabelRegex(value).regexp };
    } catch (err) {
      this._at = valueAt;
      return this._fail(
        `invalid regex ${JSON.stringify(value)} for label ${JSON.stringify(name)}: ${(err as Error).message}`
      );
    }
  }

  private _operator(name: string): MatchOp {
    for (const op of OPERATORS) {
      if (this._text.startsWith(op, this._at)) {
        this._at += op.length;
        return op;
      }
    }
    return this._fail(
      `want an operator (=, !=, =~ or !~) after label ${JSON.stringify(name)}`
    );
  }

  private _identifier(start: RegExp, part: RegExp): string {
    const from = this._at;
    if (!start.test(this._peek())) this._fail('want a name');
    this._at++;
    while (this._at < this._text.length && part.test(this._text[this._at]!))
      this._at++;
    return this._text.slice(from, this._at);
  }

  /** A Go-style quoted string: "…" or '…' with escapes, `…` raw. */
  private _string(): string {
    const text = this._text;
    const quote = text[this._at]!;
    this._at++;
    let out = '';
    while (this._at < text.length) {
      const c = text[this._at]!;
      this._at++;
      if (c === quote) return out;
      if (c !== '\\' || quote === '`') {
        if (c === '\n' && quote !== '`') break;
        out += c;
        continue;
      }
      out += this._escape();
    }
    return this._fail('unterminated string');
  }

  private _escape(): string {
    const text = this._text;
    const c = text[this._at] ?? '';
    this._at++;
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) return simple;
    const digits = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
    if (digits !== 0) {
      const hex = text.slice(this._at, this._at + digits);
      if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex))
        this._fail(`invalid escape \\${c}${hex}`);
      this._at += digits;
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) this._fail(`invalid escape \\${c}${hex}`);
      return String.fromCodePoint(code);
    }
    if (c >= '0' && c <= '7') {
      const octal = text.slice(this._at - 1, this._at + 2);
      if (!/^[0-7]{3}$/.test(octal)) this._fail(`invalid escape \\${octal}`);
      this._at += 2;
      return String.fromCharCode(Number.parseInt(octal, 8));
    }
    return this._fail(`invalid escape \\${c}`);
  }

  private _skipSpace(): void {
    while (this._at < this._text.length && SPACE.test(this._text[this._at]!))
      this._at++;
  }

  private _peek(): string {
    return this._text[this._at] ?? '';
  }

  private _fail(problem: string): never {
    throw new SelectorSyntaxError(
      `cannot parse selector ${JSON.stringify(this._text)}: ${problem} at position ${this._at}`
    );
  }
}
