/**
 * The `selector` parameter of the cardinality API: a PromQL series selector
 * limited to equality matchers, e.g. `up`, `{__name__="up",job="api"}`,
 * `up{job='api',}` or (Prometheus 3 quoting) `{"http.requests", "k8s.ns"="x"}`.
 * `!=`, `=~` and `!~` are refused with an explanation: the index answers
 * equality from its pair dictionary, and a regex over every value is a
 * different cost class. As in PromQL, `name=""` matches series without the
 * label, and a selector needs at least one matcher that is not empty.
 */
import { InvalidPayloadError } from '../../errors.js';
import { METRIC_NAME_LABEL } from '../../model/index.js';

/** `name="value"`. */
export interface LabelMatcher {
  readonly name: string;
  readonly value: string;
}

const IDENTIFIER_START = /[a-zA-Z_:]/;
const IDENTIFIER_PART = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_PART = /[a-zA-Z0-9_]/;
const SPACE = /\s/;
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

/**
 * Parses a selector into equality matchers (the metric name becomes a
 * `__name__` matcher). Throws InvalidPayloadError (400 bad_data) that
 * quotes the selector and says what is wrong.
 */
export function parseSeriesSelector(text: string): LabelMatcher[] {
  return new SelectorParser(text).parse();
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
    let metric: string | undefined;
    if (this._at < this._text.length && IDENTIFIER_START.test(this._peek())) {
      metric = this._identifier(IDENTIFIER_START, IDENTIFIER_PART);
      matchers.push({ name: METRIC_NAME_LABEL, value: metric });
      this._skipSpace();
    }
    if (this._peek() === '{') {
      this._at++;
      this._matchers(matchers, metric !== undefined);
    }
    this._skipSpace();
    if (this._at < this._text.length)
      this._fail(`unexpected ${JSON.stringify(this._peek())}`);
    if (matchers.length === 0)
      this._fail('want a metric name or at least one matcher');
    if (matchers.every(m => m.value === '')) {
      this._fail('a selector needs at least one matcher that is not empty');
    }
    return matchers;
  }

  private _matchers(out: LabelMatcher[], hasMetricName: boolean): void {
    for (;;) {
      this._skipSpace();
      if (this._peek() === '}') {
        this._at++;
        return;
      }
      let name: string;
      const first = this._peek();
      if (first === '"' || first === "'" || first === '`')
        name = this._string();
      else if (LABEL_START.test(first))
        name = this._identifier(LABEL_START, LABEL_PART);
      else
        this._fail(
          first === ''
            ? 'unterminated "{"'
            : `want a label name, got ${JSON.stringify(first)}`
        );
      this._skipSpace();
      const next = this._peek();
      if (
        (next === ',' || next === '}') &&
        (first === '"' || first === "'" || first === '`')
      ) {
        // A lone quoted name is the metric name (Prometheus 3: {"metric.name", …}).
        this._addMatcher(out, METRIC_NAME_LABEL, name, hasMetricName);
        hasMetricName = true;
      } else {
        const op = this._operator(name);
        if (op !== '=') {
          this._fail(
            `only equality matchers (name="value") are supported, got ${JSON.stringify(op)} for label ${JSON.stringify(name)}`
          );
        }
        this._skipSpace();
        const quote = this._peek();
        if (quote !== '"' && quote !== "'" && quote !== '`')
          this._fail(`want a quoted value for label ${JSON.stringify(name)}`);
        const value = this._string();
        this._addMatcher(
          out,
          name,
          value,
          hasMetricName && name === METRIC_NAME_LABEL
        );
        if (name === METRIC_NAME_LABEL) hasMetricName = true;
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

  private _addMatcher(
    out: LabelMatcher[],
    name: string,
    value: string,
    isDuplicateName: boolean
  ): void {
    if (isDuplicateName) this._fail('the metric name is set twice');
    out.push({ name, value });
  }

  private _operator(name: string): string {
    const text = this._text;
    const at = this._at;
    for (const op of ['!=', '=~', '!~', '=']) {
      if (text.startsWith(op, at)) {
        this._at += op.length;
        return op;
      }
    }
    return this._fail(`want an operator after label ${JSON.stringify(name)}`);
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
    throw new InvalidPayloadError(
      `cannot parse selector ${JSON.stringify(this._text)}: ${problem} at position ${this._at}`
    );
  }
}
