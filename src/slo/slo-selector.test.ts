import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../model/index.js';
import {
  matchesSloSelector,
  parseSloSelector,
  SelectorSyntaxError,
} from './slo-selector.js';

function matches(selector: string, labels: Record<string, string>): boolean {
  return matchesSloSelector(
    parseSloSelector(selector),
    labelsFromRecord(labels)
  );
}

describe('parseSloSelector()', () => {
  it.each([
    ['http_requests_total', [['__name__', '=', 'http_requests_total']]],
    [
      'up{job="api"}',
      [
        ['__name__', '=', 'up'],
        ['job', '=', 'api'],
      ],
    ],
    [
      'up{job="api",}',
      [
        ['__name__', '=', 'up'],
        ['job', '=', 'api'],
      ],
    ],
    [
      `up{ job = 'api' , code !~ "2.." }`,
      [
        ['__name__', '=', 'up'],
        ['job', '=', 'api'],
        ['code', '!~', '2..'],
      ],
    ],
    [
      '{__name__="up",code=~"5.."}',
      [
        ['__name__', '=', 'up'],
        ['code', '=~', '5..'],
      ],
    ],
    ['{__name__=~"http_.*"}', [['__name__', '=~', 'http_.*']]],
    [
      '{"http.server.requests", "k8s.ns"!="x"}',
      [
        ['__name__', '=', 'http.server.requests'],
        ['k8s.ns', '!=', 'x'],
      ],
    ],
    [
      'm{path=`a\\b`}',
      [
        ['__name__', '=', 'm'],
        ['path', '=', 'a\\b'],
      ],
    ],
    [
      'm{path="a\\"b\\u00e9"}',
      [
        ['__name__', '=', 'm'],
        ['path', '=', 'a"bé'],
      ],
    ],
  ])('parses %s', (text, want) => {
    const selector = parseSloSelector(text);
    expect(selector.matchers.map(m => [m.name, m.op, m.value])).toEqual(want);
  });

  it('indexes the metric name of an equality matcher only', () => {
    expect(parseSloSelector('up{a="b"}').metricName).toBe('up');
    expect(parseSloSelector('{__name__="up"}').metricName).toBe('up');
    expect(
      parseSloSelector('{__name__=~"up|down"}').metricName
    ).toBeUndefined();
  });

  it.each([
    ['', /the selector is empty/],
    ['{}', /at least one matcher that does not match the empty string/],
    [
      '{code=~".*"}',
      /at least one matcher that does not match the empty string/,
    ],
    ['up{code=~"5..("}', /invalid regex "5\.\.\(" for label "code"/],
    ['rate(up[5m])', /looks like a function call/],
    ['up[5m]', /a range \(\[5m\]\) is not allowed/],
    ['up{job="api"', /unterminated "\{"/],
    ['up{job="api}', /unterminated string/],
    ['up{job=api}', /want a quoted value for label "job"/],
    ['up{job~"api"}', /want an operator/],
    ['up{"a", "b"}', /the metric name is set twice/],
    ['up{1a="b"}', /want a label name, got "1"/],
  ])('explains %j', (text, want) => {
    expect(() => parseSloSelector(text)).toThrow(SelectorSyntaxError);
    expect(() => parseSloSelector(text)).toThrow(want);
  });

  it('says where the problem is', () => {
    expect(() => parseSloSelector('up{job="a" code="b"}')).toThrow(
      /want "," or "}", got "c" at position 11/
    );
  });

  it('accepts an all-empty selector when asked (latency SLIs add the metric name)', () => {
    expect(parseSloSelector('{}', { allowEmpty: true }).matchers).toEqual([]);
  });
});

describe('matchesSloSelector()', () => {
  const series = {
    __name__: 'http_requests_total',
    job: 'checkout',
    code: '503',
    path: '/a\nb',
  };
  it.each([
    ['http_requests_total', true],
    ['http_requests_total{job="checkout"}', true],
    ['http_requests_total{job="search"}', false],
    ['http_requests_total{code=~"5.."}', true],
    // Fully anchored, as Prometheus: "5" alone does not match "503".
    ['http_requests_total{code=~"5"}', false],
    ['http_requests_total{code!~"2..|3.."}', true],
    ['http_requests_total{code!="503"}', false],
    // A missing label is "": = "" matches it, != "" does not.
    ['http_requests_total{missing=""}', true],
    ['http_requests_total{missing!=""}', false],
    ['http_requests_total{missing=~"x?"}', true],
    ['{__name__=~"http_.+_total"}', true],
    // (?s): "." matches a newline, as Prometheus' ^(?s:…)$.
    ['http_requests_total{path=~"/a.b"}', true],
    ['other_total{job="checkout"}', false],
  ])('%s → %s', (selector, want) => {
    expect(matches(selector, series)).toBe(want);
  });
});
