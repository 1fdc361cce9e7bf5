/**
 * The shared tokenizer/parser for PromQL series selectors:
 * `metric{a="b",c=~"5..",d!="x",e!~"y"}`, `{__name__="metric",…}`,
 * Prometheus 3 quoted names (`{"my.metric", "a.b"="c"}`), Go-style strings
 * ("…", '…' with escapes, `…` raw) and a trailing comma.
 *
 * Pure syntax: each caller (the cardinality API's equality-only selector,
 * the SLO selector with regexes) supplies its own matcher type, error class
 * and extra rules through SelectorSyntax. Every failure is reported as
 * `cannot parse selector "<text>": <problem> at position <n>`.
 */
import { METRIC_NAME_LABEL } from './labels.js';

export type SelectorOp = '=' | '!=' | '=~' | '!~';

/** How one caller builds matchers and words its errors. */
export interface SelectorSyntax<M> {
  /** Wraps a full error message in the caller's error class. */
  error(message: string): Error;
  /**
   * Builds a matcher. `fail` reports a problem with the value (positioned at
   * the value for label matchers).
   */
  matcher(
    name: string,
    op: SelectorOp,
    value: string,
    fail: (problem: string) => never
  ): M;
  /** Problem for a selector that is only whitespace; unset: parse on. */
  readonly emptyProblem?: string;
  /** Inserted after "want an operator" (e.g. " (=, !=, =~ or !~)"). */
  readonly operatorHint?: string;
  /** A `__name__` label matcher also sets the metric name (and may not repeat it). */
  readonly nameLabelIsMetricName?: boolean;
  /** Problem with the character after the leading metric name, if any. */
  afterMetricName?(name: string, next: string): string | undefined;
  /** Problem with an operator (checked right after it is read), if any. */
  checkOperator?(name: string, op: SelectorOp): string | undefined;
  /** Problem with an unexpected trailing character; unset: "unexpected …". */
  trailingProblem?(c: string): string | undefined;
  /** Problem with the parsed matchers as a whole, if any. */
  check?(matchers: readonly M[]): string | undefined;
}

/** Parses `text` with the caller's rules; throws syntax.error(…) on failure. */
export function parseSelectorWith<M>(
  text: string,
  syntax: SelectorSyntax<M>
): M[] {
  return new SelectorParser(text, syntax).parse();
}

const IDENTIFIER_START = /[a-zA-Z_:]/;
const IDENTIFIER_PART = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_PART = /[a-zA-Z0-9_]/;
const SPACE = /\s/;
const OPERATORS: readonly SelectorOp[] = ['!=', '=~', '!~', '='];
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

class SelectorParser<M> {
  private readonly _text: string;
  private readonly _syntax: SelectorSyntax<M>;
  private _at = 0;

  constructor(text: string, syntax: SelectorSyntax<M>) {
    this._text = text;
    this._syntax = syntax;
  }

  parse(): M[] {
    const syntax = this._syntax;
    const matchers: M[] = [];
    this._skipSpace();
    if (this._at >= this._text.length && syntax.emptyProblem !== undefined)
      this._fail(syntax.emptyProblem);
    let hasName = false;
    if (IDENTIFIER_START.test(this._peek())) {
      const name = this._identifier(IDENTIFIER_START, IDENTIFIER_PART);
      this._skipSpace();
      const problem = syntax.afterMetricName?.(name, this._peek());
      if (problem !== undefined) this._fail(problem);
      matchers.push(this._build(METRIC_NAME_LABEL, '=', name));
      hasName = true;
    }
    if (this._peek() === '{') {
      this._at++;
      this._matchers(matchers, hasName);
    }
    this._skipSpace();
    if (this._at < this._text.length) {
      const c = this._peek();
      this._fail(
        syntax.trailingProblem?.(c) ?? `unexpected ${JSON.stringify(c)}`
      );
    }
    const problem = syntax.check?.(matchers);
    if (problem !== undefined) this._fail(problem);
    return matchers;
  }

  private _matchers(out: M[], hasName: boolean): void {
    const syntax = this._syntax;
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
        out.push(this._build(METRIC_NAME_LABEL, '=', name));
        hasName = true;
      } else {
        const op = this._operator(name);
        const problem = syntax.checkOperator?.(name, op);
        if (problem !== undefined) this._fail(problem);
        this._skipSpace();
        const quote = this._peek();
        if (quote !== '"' && quote !== "'" && quote !== '`')
          this._fail(`want a quoted value for label ${JSON.stringify(name)}`);
        const valueAt = this._at;
        const value = this._string();
        const isName =
          syntax.nameLabelIsMetricName === true && name === METRIC_NAME_LABEL;
        if (isName && hasName) this._fail('the metric name is set twice');
        out.push(
          syntax.matcher(name, op, value, valueProblem => {
            this._at = valueAt;
            return this._fail(valueProblem);
          })
        );
        if (isName) hasName = true;
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

  private _build(name: string, op: SelectorOp, value: string): M {
    return this._syntax.matcher(name, op, value, problem =>
      this._fail(problem)
    );
  }

  private _operator(name: string): SelectorOp {
    for (const op of OPERATORS) {
      if (this._text.startsWith(op, this._at)) {
        this._at += op.length;
        return op;
      }
    }
    return this._fail(
      `want an operator${this._syntax.operatorHint ?? ''} after label ${JSON.stringify(name)}`
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
    throw this._syntax.error(
      `cannot parse selector ${JSON.stringify(this._text)}: ${problem} at position ${this._at}`
    );
  }
}
