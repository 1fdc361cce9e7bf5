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
import { compileRelabelRegex } from '../pipeline/index.js';
import { METRIC_NAME_LABEL } from '../model/index.js';
import {
  parseSelectorWith,
  type SelectorOp,
  type SelectorSyntax,
} from '../model/index.js';

export type MatchOp = SelectorOp;

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

const SLO_SYNTAX: SelectorSyntax<LabelMatcher> = {
  error: message => new SelectorSyntaxError(message),
  matcher: (name, op, value, fail) => {
    if (op === '=' || op === '!=')
      return { name, op, value, regexp: undefined };
    try {
      return { name, op, value, regexp: compileRelabelRegex(value).regexp };
    } catch (err) {
      return fail(
        `invalid regex ${JSON.stringify(value)} for label ${JSON.stringify(name)}: ${(err as Error).message}`
      );
    }
  },
  emptyProblem: 'the selector is empty',
  operatorHint: ' (=, !=, =~ or !~)',
  afterMetricName: (name, next) =>
    next === '('
      ? `${JSON.stringify(name)} looks like a function call: want a series selector such as metric{label="value"} (fleetgate computes the increase itself)`
      : undefined,
  trailingProblem: c =>
    c === '['
      ? 'a range ([5m]) is not allowed: want a plain series selector (fleetgate keeps its own windows)'
      : undefined,
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
  const matchers = parseSelectorWith(text, SLO_SYNTAX);
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
