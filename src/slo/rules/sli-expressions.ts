/**
 * PromQL for an SLI's per-cluster event rates over one window: the raw
 * selectors from the SLO config in, rates keyed by SLO_CLUSTER_LABELS
 * (`cluster`, `region`, `env`; written `C` below) out.
 *
 * | SLI              | total                         | bad                                  |
 * |------------------|-------------------------------|--------------------------------------|
 * | ratio, `bad`     | `sum by (C) (rate(total[w]))` | `sum by (C) (rate(bad[w]))`, 0 when no bad series exists |
 * | ratio, `good`    | same                          | total − good, good 0 when no good series exists |
 * | latency          | `sum by (C) (rate(H_count{sel}[w]))` | total − `rate(H_bucket{sel,le="T"}[w])` |
 *
 * "0 when no series exists": an error counter that has never been incremented
 * is often absent (`code=~"5.."`), and then `bad` would be empty and the
 * ratio would show "no data" instead of 0; the fallback is the recorded total
 * times 0, per cluster. A latency bucket is never absent while `_count` is,
 * unless the threshold is not a bucket; then the SLI has no data rather than
 * 100% errors (check-config reports the unknown bucket).
 *
 * Latency rules read classic buckets only (decision): the engine also reads
 * native histograms, but promtool 2.42's rule tests cannot feed native
 * series, so native rules could not be tested here.
 */
import type { SloConfig } from '../../config/index.js';
import { ConfigError } from '../../errors.js';
import { formatLeMatcher } from './le-matcher.js';
import { SLO_CLUSTER_LABELS, sloRecordName } from './slo-rule-names.js';

/** `cluster, region, env`: the grouping and the join keys of per-cluster series. */
export const SLO_CLUSTER_GROUPING = SLO_CLUSTER_LABELS.join(', ');

/** The PromQL of a window's rates; `bad` reads the recorded total, so record total first. */
export interface SliRateExpressions {
  readonly total: string;
  readonly bad: string;
}

/** A metric name with an optional `{…}` matcher list, or a bare `{…}` list. */
const SERIES_SELECTOR_RE =
  /^\s*(?:[a-zA-Z_:][a-zA-Z0-9_:]*\s*(?:\{[^]*\})?|\{[^]*\})\s*$/;
const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Checks the SLI's selectors enough to write rules promtool accepts (the
 * full check is check-config's). Returns problems as `path: message`.
 */
export function checkSliSelectors(slo: SloConfig): string[] {
  const problems: string[] = [];
  const at = `slos[${slo.name}].sli`;
  const want =
    'want a Prometheus series selector such as http_requests_total{job="checkout"}';
  if ('ratio' in slo.sli) {
    const { bad, good, total } = slo.sli.ratio;
    for (const [key, value] of [
      ['bad', bad],
      ['good', good],
      ['total', total],
    ] as const) {
      if (value !== undefined && !SERIES_SELECTOR_RE.test(value)) {
        problems.push(
          `${at}.ratio.${key}: ${want}, got ${JSON.stringify(value)}`
        );
      }
    }
  } else {
    const { histogram, threshold, selector } = slo.sli.latency;
    if (!METRIC_NAME_RE.test(histogram))
      problems.push(
        `${at}.latency.histogram: want a metric name, got ${JSON.stringify(histogram)}`
      );
    if (!Number.isFinite(threshold) || threshold <= 0)
      problems.push(
        `${at}.latency.threshold: want a positive finite bucket bound, got ${threshold}`
      );
    if (!/^\s*\{[^]*\}\s*$/.test(selector))
      problems.push(
        `${at}.latency.selector: want label matchers in braces such as {job="checkout"}, got ${JSON.stringify(selector)}`
      );
  }
  return problems;
}

/**
 * `H` + `{job="x"}` + `le="0.3"` → `H{job="x",le="0.3"}`; no matchers at
 * all → the bare name.
 */
function withMatchers(
  metric: string,
  selector: string,
  ...extra: string[]
): string {
  const inner = selector.trim().slice(1, -1).trim().replace(/,\s*$/, '');
  const all = inner === '' ? extra : [inner, ...extra];
  return all.length === 0 ? metric : `${metric}{${all.join(',')}}`;
}

/** `sum by (cluster, region, env) (rate(<selector>[<window>]))` */
function clusterRate(selector: string, window: string): string {
  return `sum by (${SLO_CLUSTER_GROUPING}) (rate(${selector.trim()}[${window}]))`;
}

/**
 * The per-cluster rate expressions of `slo` over `window` (e.g. `5m`).
 * Throws ConfigError when a selector cannot be used.
 */
export function buildSliRateExpressions(
  slo: SloConfig,
  window: string
): SliRateExpressions {
  const problems = checkSliSelectors(slo);
  if (problems.length > 0) {
    throw new ConfigError(
      `cannot generate rules for SLO ${slo.name}:\n  ${problems.join('\n  ')}`,
      problems
    );
  }
  const recordedTotal = `${sloRecordName('totalRate', window)}{slo="${slo.name}"}`;
  const zeroPerCluster = `0 * ${recordedTotal}`;
  if ('ratio' in slo.sli) {
    const { bad, good, total } = slo.sli.ratio;
    const totalExpr = clusterRate(total, window);
    if (bad !== undefined) {
      return {
        total: totalExpr,
        bad: `${clusterRate(bad, window)} or on (${SLO_CLUSTER_GROUPING}) ${zeroPerCluster}`,
      };
    }
    // good !== undefined: the schema requires exactly one of bad and good.
    const goodExpr = `${clusterRate(good!, window)} or on (${SLO_CLUSTER_GROUPING}) ${zeroPerCluster}`;
    // clamp_min: good and total scraped a moment apart can make good > total.
    return {
      total: totalExpr,
      bad: `clamp_min(${recordedTotal} - on (${SLO_CLUSTER_GROUPING}) (${goodExpr}), 0)`,
    };
  }
  const { histogram, threshold, selector } = slo.sli.latency;
  const countSelector = withMatchers(`${histogram}_count`, selector);
  const bucketSelector = withMatchers(
    `${histogram}_bucket`,
    selector,
    formatLeMatcher(threshold)
  );
  return {
    total: clusterRate(countSelector, window),
    bad: `clamp_min(${recordedTotal} - on (${SLO_CLUSTER_GROUPING}) ${clusterRate(bucketSelector, window)}, 0)`,
  };
}
