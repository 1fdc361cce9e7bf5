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
import { parseSelectorWith, type SelectorSyntax } from '../../model/index.js';

/** `name="value"`. */
export interface LabelMatcher {
  readonly name: string;
  readonly value: string;
}

const EQUALITY_SYNTAX: SelectorSyntax<LabelMatcher> = {
  error: message => new InvalidPayloadError(message),
  matcher: (name, _op, value) => ({ name, value }),
  nameLabelIsMetricName: true,
  checkOperator: (name, op) =>
    op === '='
      ? undefined
      : `only equality matchers (name="value") are supported, got ${JSON.stringify(op)} for label ${JSON.stringify(name)}`,
  check: matchers =>
    matchers.length === 0
      ? 'want a metric name or at least one matcher'
      : matchers.every(m => m.value === '')
        ? 'a selector needs at least one matcher that is not empty'
        : undefined,
};

/**
 * Parses a selector into equality matchers (the metric name becomes a
 * `__name__` matcher). Throws InvalidPayloadError (400 bad_data) that
 * quotes the selector and says what is wrong.
 */
export function parseSeriesSelector(text: string): LabelMatcher[] {
  return parseSelectorWith(text, EQUALITY_SYNTAX);
}
