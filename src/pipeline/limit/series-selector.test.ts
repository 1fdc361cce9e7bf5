import { describe, expect, it } from 'vitest';
import { InvalidPayloadError } from '../../errors.js';
import { parseSeriesSelector } from './series-selector.js';

describe('parseSeriesSelector()', () => {
  it.each([
    ['up', [['__name__', 'up']]],
    ['  up  ', [['__name__', 'up']]],
    ['up{}', [['__name__', 'up']]],
    ['{__name__="up"}', [['__name__', 'up']]],
    [
      '{__name__="x",namespace="y"}',
      [
        ['__name__', 'x'],
        ['namespace', 'y'],
      ],
    ],
    [
      "up{job='api', }",
      [
        ['__name__', 'up'],
        ['job', 'api'],
      ],
    ],
    [
      'up{job=`a\\b`}',
      [
        ['__name__', 'up'],
        ['job', 'a\\b'],
      ],
    ],
    ['{job="a\\"b\\n\\u00e9"}', [['job', 'a"b\né']]],
    [
      '{"http.server.duration", "k8s.ns"="x"}',
      [
        ['__name__', 'http.server.duration'],
        ['k8s.ns', 'x'],
      ],
    ],
    [
      'job:rate5m{a="1",b=""}',
      [
        ['__name__', 'job:rate5m'],
        ['a', '1'],
        ['b', ''],
      ],
    ],
  ])('parses %s', (text, want) => {
    expect(parseSeriesSelector(text).map(m => [m.name, m.value])).toEqual(want);
  });

  it.each([
    ['{job!="a"}', /only equality matchers.*"!=" for label "job"/],
    ['{job=~"a.*"}', /only equality matchers.*"=~"/],
    ['up{job!~"a"}', /"!~"/],
    ['{}', /want a metric name or at least one matcher/],
    ['{job=""}', /at least one matcher that is not empty/],
    ['up{__name__="x"}', /metric name is set twice/],
    ['{job="a"', /unterminated "\{"/],
    ['{job="a}', /unterminated string/],
    ['{job=a}', /want a quoted value for label "job"/],
    ['{job="a" x="b"}', /want "," or "}"/],
    ['up down', /unexpected "d"/],
    ['{job="\\q"}', /invalid escape \\q/],
    ['{1x="a"}', /want a label name/],
  ])('refuses %s with a 400 that says why', (text, want) => {
    let thrown: unknown;
    try {
      parseSeriesSelector(text);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidPayloadError);
    expect((thrown as Error).message).toMatch(/^cannot parse selector /);
    expect((thrown as Error).message).toMatch(want);
  });
});
