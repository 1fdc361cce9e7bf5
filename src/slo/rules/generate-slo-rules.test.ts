/**
 * Why this file is long: the generated rule groups are checked group by group against one config, which the cases share.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig, type SloConfig } from '../../config/index.js';
import { ConfigError } from '../../errors.js';
import {
  generateSloRules,
  type GenerateSloRulesOptions,
} from './generate-slo-rules.js';
import { sloAlertAnnotations, sloAlertLabels } from './slo-alert-content.js';

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; interval: string; rules: Rule[] }[];
}

function slosOf(yamlSlos: string): SloConfig[] {
  return parseConfig(`slos:\n${yamlSlos}`, {}, 'test').slos;
}

const AVAILABILITY = `
  - name: checkout-availability
    service: checkout
    description: Checkout answers without a server error.
    objective: 0.999
    window: 30d
    labels: {team: payments}
    sli:
      ratio:
        bad: http_requests_total{job="checkout",code=~"5.."}
        total: http_requests_total{job="checkout"}
`;
const GOOD = `
  - name: payments-success
    service: payments
    objective: 0.99
    window: 28d
    sli:
      ratio:
        good: payment_authorisations_total{result="ok"}
        total: payment_authorisations_total
`;
const LATENCY = `
  - name: checkout-latency
    service: checkout
    objective: 0.99
    sli:
      latency:
        histogram: http_request_duration_seconds
        threshold: 0.3
        selector: '{job="checkout"}'
`;

function generate(
  yamlSlos: string,
  options?: GenerateSloRulesOptions
): RuleFile {
  return parse(generateSloRules(slosOf(yamlSlos), options)) as RuleFile;
}

function rulesOf(file: RuleFile, group = 0): Rule[] {
  return file.groups[group]!.rules;
}

function recordExpr(file: RuleFile, record: string, group = 0): string {
  const rule = rulesOf(file, group).find(r => r.record === record);
  if (rule === undefined) throw new Error(`no rule records ${record}`);
  return rule.expr;
}

function alerts(file: RuleFile, group = 0): Rule[] {
  return rulesOf(file, group).filter(r => r.alert !== undefined);
}

describe('generateSloRules()', () => {
  it('writes one group per SLO, evaluated every minute by default', () => {
    const file = generate(AVAILABILITY + GOOD + LATENCY);
    expect(file.groups.map(g => [g.name, g.interval])).toEqual([
      ['fleetgate-slo-checkout-availability', '1m'],
      ['fleetgate-slo-payments-success', '1m'],
      ['fleetgate-slo-checkout-latency', '1m'],
    ]);
  });

  it('writes an empty rule file for no SLOs', () => {
    expect(parse(generateSloRules([]))).toEqual({ groups: [] });
  });

  it('records every series before a rule reads it (a group evaluates in order)', () => {
    const file = generate(AVAILABILITY + GOOD + LATENCY);
    for (const group of file.groups) {
      const seen = new Set<string>();
      for (const rule of group.rules) {
        for (const [name] of rule.expr.matchAll(
          /\bslo(?:_fleet)?:[a-z_]+:[a-z_0-9]+/g
        )) {
          expect(
            seen.has(name),
            `${rule.record ?? rule.alert} reads ${name} before it is recorded`
          ).toBe(true);
        }
        if (rule.record !== undefined) seen.add(rule.record);
      }
    }
  });

  it('records total, bad and error ratio for 5m, 30m, 1h, 2h, 6h, 1d, 3d and the SLO window', () => {
    const records = rulesOf(generate(AVAILABILITY)).flatMap(r =>
      r.record === undefined ? [] : [r.record]
    );
    for (const w of ['5m', '30m', '1h', '2h', '6h', '1d', '3d']) {
      expect(records).toContain(`slo:sli_total:rate${w}`);
      expect(records).toContain(`slo:sli_bad:rate${w}`);
      expect(records).toContain(`slo:sli_error:ratio_rate${w}`);
      expect(records).toContain(`slo:burn_rate:ratio_rate${w}`);
      expect(records).toContain(`slo_fleet:sli_error:ratio_rate${w}`);
      expect(records).toContain(`slo_fleet:burn_rate:ratio_rate${w}`);
    }
    for (const name of [
      'slo:sli_bad:increase30d',
      'slo:sli_total:increase30d',
      'slo:sli_error:ratio_rate30d',
      'slo_fleet:sli_error:ratio_rate30d',
      'slo:objective:ratio',
      'slo:error_budget:ratio',
      'slo:time_period:days',
      'slo:period_burn_rate:ratio',
      'slo:period_error_budget_remaining:ratio',
      'slo_fleet:objective:ratio',
      'slo_fleet:error_budget:ratio',
      'slo_fleet:period_burn_rate:ratio',
      'slo_fleet:period_error_budget_remaining:ratio',
    ]) {
      expect(records).toContain(name);
    }
  });

  it('labels every recorded series with the SLO only (cluster, region and env come from the expression)', () => {
    for (const rule of rulesOf(generate(AVAILABILITY)).filter(
      r => r.record !== undefined
    )) {
      expect(rule.labels).toEqual({ slo: 'checkout-availability' });
    }
  });

  it('computes rates per cluster from the raw selectors, with 0 bad where no bad series exists', () => {
    const file = generate(AVAILABILITY);
    expect(recordExpr(file, 'slo:sli_total:rate5m')).toBe(
      'sum by (cluster, region, env) (rate(http_requests_total{job="checkout"}[5m]))'
    );
    expect(recordExpr(file, 'slo:sli_bad:rate1h')).toBe(
      'sum by (cluster, region, env) (rate(http_requests_total{job="checkout",code=~"5.."}[1h])) or on (cluster, region, env) 0 * slo:sli_total:rate1h{slo="checkout-availability"}'
    );
    expect(recordExpr(file, 'slo:sli_error:ratio_rate6h')).toBe(
      'slo:sli_bad:rate6h{slo="checkout-availability"} / slo:sli_total:rate6h{slo="checkout-availability"}'
    );
  });

  it('takes bad = total − good for the good form, good reading 0 where no good series exists', () => {
    expect(recordExpr(generate(GOOD), 'slo:sli_bad:rate5m')).toBe(
      'clamp_min(slo:sli_total:rate5m{slo="payments-success"} - on (cluster, region, env) (sum by (cluster, region, env) (rate(payment_authorisations_total{result="ok"}[5m])) or on (cluster, region, env) 0 * slo:sli_total:rate5m{slo="payments-success"}), 0)'
    );
  });

  it('takes bad = _count − the bucket at the threshold for a latency SLI', () => {
    const file = generate(LATENCY);
    expect(recordExpr(file, 'slo:sli_total:rate30m')).toBe(
      'sum by (cluster, region, env) (rate(http_request_duration_seconds_count{job="checkout"}[30m]))'
    );
    expect(recordExpr(file, 'slo:sli_bad:rate30m')).toBe(
      'clamp_min(slo:sli_total:rate30m{slo="checkout-latency"} - on (cluster, region, env) sum by (cluster, region, env) (rate(http_request_duration_seconds_bucket{job="checkout",le="0.3"}[30m])), 0)'
    );
  });

  it.each([
    [
      '{}',
      1,
      'http_request_duration_seconds_count',
      'http_request_duration_seconds_bucket{le=~"1|1\\\\.0"}',
    ],
    [
      '{job="a",}',
      0.25,
      'http_request_duration_seconds_count{job="a"}',
      'http_request_duration_seconds_bucket{job="a",le="0.25"}',
    ],
    [
      '{ job="a", env=~"prod|staging" }',
      1e6,
      'http_request_duration_seconds_count{job="a", env=~"prod|staging"}',
      'http_request_duration_seconds_bucket{job="a", env=~"prod|staging",le=~"1e\\\\+06|1000000"}',
    ],
  ])(
    'merges the latency selector %s with the le matcher of %s',
    (selector, threshold, count, bucket) => {
      const file = generate(`
  - name: l
    service: s
    objective: 0.99
    sli: {latency: {histogram: http_request_duration_seconds, threshold: ${threshold}, selector: '${selector}'}}
`);
      expect(recordExpr(file, 'slo:sli_total:rate5m')).toContain(
        `rate(${count}[5m])`
      );
      expect(recordExpr(file, 'slo:sli_bad:rate5m')).toContain(
        `rate(${bucket}[5m])`
      );
    }
  );

  it('weights the SLO window by traffic: summed 5m event rates divided, not averaged 5m ratios (sloth#332)', () => {
    const file = generate(AVAILABILITY);
    expect(recordExpr(file, 'slo:sli_bad:increase30d')).toBe(
      'sum by (cluster, region, env) (sum_over_time(slo:sli_bad:rate5m{slo="checkout-availability"}[30d])) * 60'
    );
    expect(recordExpr(file, 'slo:sli_total:increase30d')).toBe(
      'sum by (cluster, region, env) (sum_over_time(slo:sli_total:rate5m{slo="checkout-availability"}[30d])) * 60'
    );
    expect(recordExpr(file, 'slo:sli_error:ratio_rate30d')).toBe(
      'slo:sli_bad:increase30d{slo="checkout-availability"} / slo:sli_total:increase30d{slo="checkout-availability"}'
    );
    expect(generateSloRules(slosOf(AVAILABILITY))).not.toMatch(
      /avg_over_time|count_over_time|ratio_rate5m\{[^}]*\}\[/
    );
  });

  it('scales the increases by the group interval', () => {
    const file = generate(AVAILABILITY, { groupInterval: '30s' });
    expect(file.groups[0]!.interval).toBe('30s');
    expect(recordExpr(file, 'slo:sli_bad:increase30d')).toMatch(
      /\[30d\]\)\) \* 30$/
    );
  });

  it('uses the raw rate for an SLO window that is also an alert window', () => {
    const file = generate(AVAILABILITY.replace('window: 30d', 'window: 3d'));
    const records = rulesOf(file).map(r => r.record);
    expect(records).not.toContain('slo:sli_bad:increase3d');
    expect(
      records.filter(r => r === 'slo:sli_error:ratio_rate3d')
    ).toHaveLength(1);
    expect(recordExpr(file, 'slo:period_burn_rate:ratio')).toBe(
      'slo:burn_rate:ratio_rate3d{slo="checkout-availability"}'
    );
    expect(recordExpr(file, 'slo:objective:ratio')).toBe(
      '0.999 * group by (cluster, region, env) (slo:sli_total:rate3d{slo="checkout-availability"})'
    );
  });

  it('keys every per-cluster aggregation and join by cluster, region and env, and the fleet by the SLO only', () => {
    for (const group of generate(AVAILABILITY + GOOD + LATENCY).groups) {
      for (const rule of group.rules) {
        for (const [clause, labels] of rule.expr.matchAll(
          /\b(?:by|on)\s*\(([^)]*)\)/g
        )) {
          const where = `${rule.record ?? rule.alert}: ${clause}`;
          if (rule.record?.startsWith('slo_fleet:') === true)
            expect(labels, where).toBe('slo');
          else expect(labels, where).toBe('cluster, region, env');
        }
      }
    }
  });

  it('computes the fleet from events summed over clusters, never an average of ratios', () => {
    const file = generate(AVAILABILITY);
    expect(recordExpr(file, 'slo_fleet:sli_error:ratio_rate1h')).toBe(
      'sum by (slo) (slo:sli_bad:rate1h{slo="checkout-availability"}) / sum by (slo) (slo:sli_total:rate1h{slo="checkout-availability"})'
    );
    expect(recordExpr(file, 'slo_fleet:sli_error:ratio_rate30d')).toBe(
      'sum by (slo) (slo:sli_bad:increase30d{slo="checkout-availability"}) / sum by (slo) (slo:sli_total:increase30d{slo="checkout-availability"})'
    );
    expect(generateSloRules(slosOf(AVAILABILITY))).not.toMatch(
      /avg(?: by)?\s*\(/
    );
  });

  it('gives objective, budget and window series the cluster labels (sloth#339)', () => {
    const file = generate(AVAILABILITY);
    const clusters =
      'group by (cluster, region, env) (slo:sli_total:increase30d{slo="checkout-availability"})';
    expect(recordExpr(file, 'slo:objective:ratio')).toBe(`0.999 * ${clusters}`);
    expect(recordExpr(file, 'slo:error_budget:ratio')).toBe(
      `0.001 * ${clusters}`
    );
    expect(recordExpr(file, 'slo:time_period:days')).toBe(`30 * ${clusters}`);
    expect(recordExpr(file, 'slo_fleet:objective:ratio')).toBe(
      '0.999 * group(slo:objective:ratio{slo="checkout-availability"})'
    );
  });

  it('records burn rates and the period figures against the error budget', () => {
    const file = generate(AVAILABILITY);
    expect(recordExpr(file, 'slo:burn_rate:ratio_rate5m')).toBe(
      'slo:sli_error:ratio_rate5m{slo="checkout-availability"} / 0.001'
    );
    expect(recordExpr(file, 'slo:period_burn_rate:ratio')).toBe(
      'slo:burn_rate:ratio_rate30d{slo="checkout-availability"}'
    );
    expect(recordExpr(file, 'slo:period_error_budget_remaining:ratio')).toBe(
      '1 - slo:period_burn_rate:ratio{slo="checkout-availability"}'
    );
    expect(recordExpr(file, 'slo_fleet:burn_rate:ratio_rate3d')).toBe(
      'slo_fleet:sli_error:ratio_rate3d{slo="checkout-availability"} / 0.001'
    );
  });

  it('writes page and ticket alerts per cluster and for the fleet, from the workbook table', () => {
    const list = alerts(generate(AVAILABILITY));
    expect(
      list.map(a => [a.alert, a.labels['severity'], a.labels['scope']])
    ).toEqual([
      ['SLOErrorBudgetBurn', 'page', 'cluster'],
      ['SLOErrorBudgetBurn', 'ticket', 'cluster'],
      ['SLOFleetErrorBudgetBurn', 'page', 'fleet'],
      ['SLOFleetErrorBudgetBurn', 'ticket', 'fleet'],
    ]);
    const burn = (w: string): string =>
      `slo:burn_rate:ratio_rate${w}{slo="checkout-availability"}`;
    expect(list[0]!.expr).toBe(
      `(\n  ${burn('1h')} > 14.4\nand\n  ${burn('5m')} > 14.4\n)\nor\n(\n  ${burn('6h')} > 6\nand\n  ${burn('30m')} > 6\n)`
    );
    expect(list[1]!.expr).toBe(
      `(\n  ${burn('1d')} > 3\nand\n  ${burn('2h')} > 3\n)\nor\n(\n  ${burn('3d')} > 1\nand\n  ${burn('6h')} > 1\n)`
    );
    expect(list[2]!.expr).toContain(
      'slo_fleet:burn_rate:ratio_rate1h{slo="checkout-availability"} > 14.4'
    );
    expect(list[0]!.for).toBeUndefined();
  });

  it('labels and annotates alerts for routing, linking their RUNBOOKS.md section', () => {
    const [page, , fleetPage] = alerts(generate(AVAILABILITY));
    // cluster, region and env come from the series.
    expect(page!.labels).toEqual({
      severity: 'page',
      scope: 'cluster',
      slo: 'checkout-availability',
      service: 'checkout',
      team: 'payments',
    });
    expect(page!.annotations).toEqual({
      summary:
        'SLO checkout-availability (checkout) is burning its error budget too fast in cluster {{ $labels.cluster }}',
      description:
        'The error budget of checkout-availability (99.9% over 30d) is burning in cluster {{ $labels.cluster }} faster than its page threshold, over both a long and a short window. Checkout answers without a server error.',
      runbook_url:
        'https://github.com/fleetgate/fleetgate/blob/main/alerts/RUNBOOKS.md#sloerrorbudgetburn',
    });
    expect(fleetPage!.labels['scope']).toBe('fleet');
    expect(fleetPage!.annotations).toEqual({
      summary:
        'SLO checkout-availability (checkout) is burning its error budget too fast across the fleet',
      description:
        'The error budget of checkout-availability (99.9% over 30d) is burning across the fleet faster than its page threshold, over both a long and a short window. Checkout answers without a server error.',
      runbook_url:
        'https://github.com/fleetgate/fleetgate/blob/main/alerts/RUNBOOKS.md#slofleeterrorbudgetburn',
    });
  });

  it('writes the labels and text the gateway sends for the same alert (slo-alert-content.ts)', () => {
    const [slo] = slosOf(AVAILABILITY);
    const subject = { ...slo!, window: '30d' };
    const list = alerts(generate(AVAILABILITY));
    for (const rule of list) {
      const scope = rule.labels['scope'] === 'fleet' ? 'fleet' : 'cluster';
      const severity = rule.labels['severity']!;
      expect(rule.labels).toEqual(sloAlertLabels(subject, scope, severity));
      // The rule's template names the cluster; Prometheus expands it.
      expect(rule.annotations).toEqual(
        sloAlertAnnotations(subject, scope, severity, {
          cluster: '{{ $labels.cluster }}',
        })
      );
    }
  });

  it('fills {alert}, {slo} and {service} in a custom runbook link', () => {
    const [page, , fleetPage] = alerts(
      generate(AVAILABILITY, {
        runbookUrl: 'https://wiki/{service}/{slo}#{alert}',
      })
    );
    expect(page!.annotations!['runbook_url']).toBe(
      'https://wiki/checkout/checkout-availability#sloerrorbudgetburn'
    );
    expect(fleetPage!.annotations!['runbook_url']).toBe(
      'https://wiki/checkout/checkout-availability#slofleeterrorbudgetburn'
    );
  });

  it('keeps the reserved alert labels from the SLO labels and escapes template braces', () => {
    const [page] = alerts(
      generate(`
  - name: x
    service: 'svc {{ weird }}'
    description: 'see {{ this }}'
    objective: 0.99
    labels: {severity: critical, cluster: all, env: x, region: y, slo: other, team: t}
    sli: {ratio: {bad: 'a{x="1"}', total: a}}
`)
    );
    expect(page!.labels).toEqual({
      severity: 'page',
      scope: 'cluster',
      slo: 'x',
      service: 'svc {{ "{{" }} weird }}',
      team: 't',
    });
    expect(page!.annotations!['description']).toMatch(
      /see \{\{ "\{\{" \}\} this \}\}$/
    );
  });

  it('scales budget-share factors with the SLO window (28d: 13.44, 5.6, 2.8, 0.9333)', () => {
    const list = alerts(generate(GOOD));
    expect(list[0]!.expr).toMatch(/> 13\.44\n[^]*> 5\.6\n/);
    expect(list[1]!.expr).toMatch(/> 2\.8\n[^]*> 0\.933333333333\n/);
  });

  it('takes custom alert windows, records their windows, and sets for: per severity', () => {
    const file = generate(AVAILABILITY, {
      alertWindows: [
        { severity: 'critical', long: '4h', short: '15m', factor: 10 },
        { severity: 'warning', long: '2d', short: '4h', budgetConsumed: 0.1 },
      ],
      alertFor: { critical: '2m' },
    });
    const records = rulesOf(file).map(r => r.record);
    expect(records).toContain('slo:burn_rate:ratio_rate15m');
    expect(records).toContain('slo:burn_rate:ratio_rate4h');
    expect(records).toContain('slo:sli_error:ratio_rate2d');
    const list = alerts(file);
    expect(list.map(a => [a.labels['severity'], a.for])).toEqual([
      ['critical', '2m'],
      ['warning', undefined],
      ['critical', '2m'],
      ['warning', undefined],
    ]);
    // 10% of 30d in 2d: 1.5×.
    expect(list[1]!.expr).toContain(
      'slo:burn_rate:ratio_rate2d{slo="checkout-availability"} > 1.5'
    );
  });

  it("uses an SLO's own alerting.windows (the engine's config shape, durations in ms) over the option", () => {
    const [slo] = slosOf(AVAILABILITY);
    const withOwn = {
      ...slo!,
      alerting: {
        windows: [
          { severity: 'page', long: 3_600_000, short: 300_000, factor: 20 },
        ],
      },
    };
    const file = parse(generateSloRules([withOwn])) as RuleFile;
    expect(alerts(file).map(a => a.expr)).toEqual([
      '(\n  slo:burn_rate:ratio_rate1h{slo="checkout-availability"} > 20\nand\n  slo:burn_rate:ratio_rate5m{slo="checkout-availability"} > 20\n)',
      '(\n  slo_fleet:burn_rate:ratio_rate1h{slo="checkout-availability"} > 20\nand\n  slo_fleet:burn_rate:ratio_rate5m{slo="checkout-availability"} > 20\n)',
    ]);
  });

  it('gives byte-identical output for the same input', () => {
    const slos = slosOf(AVAILABILITY + GOOD + LATENCY);
    expect(generateSloRules(slos)).toBe(generateSloRules(slos));
  });

  it('starts with a do-not-edit header', () => {
    expect(generateSloRules([])).toMatch(
      /^# Generated by `fleetgate slo rules`: do not edit\./
    );
  });

  it('throws ConfigError listing every bad option', () => {
    let thrown: unknown;
    try {
      generateSloRules(slosOf(AVAILABILITY), {
        groupInterval: '10m',
        alertFor: { page: 'soon' },
        alertWindows: [
          { severity: 'page', long: '5m', short: '1h', factor: 0 },
        ],
      });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).issues).toEqual([
      'groupInterval: want a duration from 1s to 5m (the shortest window), got "10m"',
      'alertFor.page: invalid duration "soon"',
      'alertWindows[0].factor: must be > 0, got 0',
      'alertWindows[0].short: the short window 1h must be shorter than the long window 5m',
    ]);
  });

  it('throws ConfigError naming the SLO and key of a selector it cannot use', () => {
    // The config schema refuses these too; specs built in code reach the generator unchecked.
    const [ratio, latency] = slosOf(`
  - name: broken
    service: s
    objective: 0.99
    sli: {ratio: {bad: x, total: x}}
  - name: broken-latency
    service: s
    objective: 0.99
    sli: {latency: {histogram: h, threshold: 0.5, selector: '{job="a"}'}}
`) as [SloConfig, SloConfig];
    const slos: SloConfig[] = [
      { ...ratio, sli: { ratio: { bad: 'sum(rate(x[5m]))', total: 'x' } } },
      {
        ...latency,
        sli: {
          latency: { histogram: 'h', threshold: 0.5, selector: 'job="a"' },
        },
      },
    ];
    expect(() => generateSloRules(slos)).toThrow(ConfigError);
    try {
      generateSloRules(slos);
    } catch (err) {
      expect((err as ConfigError).issues).toEqual([
        'slos[broken].sli.ratio.bad: want a Prometheus series selector such as http_requests_total{job="checkout"}, got "sum(rate(x[5m]))"',
        'slos[broken-latency].sli.latency.selector: want label matchers in braces such as {job="checkout"}, got "job=\\"a\\""',
      ]);
    }
  });
});
