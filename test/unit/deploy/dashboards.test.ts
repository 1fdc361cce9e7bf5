/**
 * The Grafana dashboards in dashboards/, checked without Grafana:
 * - every panel query (and every variable's selector) parses as PromQL with
 *   Prometheus' own grammar, `@prometheus-io/lezer-promql`, after Grafana's
 *   variable interpolation, with no error node in the tree;
 * - every variable a query, title or variable uses is defined (or one of
 *   Grafana's globals), defined before use, and every defined one is used;
 * - the JSON conforms to the types Grafana publishes in `@grafana/schema`
 *   (Grafana ships TypeScript types generated from its CUE schema, not a
 *   JSON schema): the dashboard (`Dashboard`, variables included), every
 *   panel (`Panel` / `RowPanel`), every panel's `options` and
 *   `fieldConfig.defaults.custom` against that panel plugin's generated
 *   `Options` / `FieldConfig`, every override property of a known id, and
 *   every target against `DataQuery` plus the Prometheus query fields.
 *   Unknown keys, wrong types and non-existent enum values all fail;
 * - metric names exist: `fleetgate_*` in src/ (or prom-client's default
 *   process metrics), `slo:*` / `slo_fleet:*` in SLO_RECORD_NAMES;
 * - the layout fits the 24-column grid without overlaps, ids are unique,
 *   value panels have a unit and ordered thresholds;
 * - the provisioning files point Grafana at these files and a Prometheus.
 * test/e2e/dashboards.test.ts runs every query against a real Prometheus.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SLO_RECORD_NAMES } from '../../../src/slo/rules/index.js';
import {
  DASHBOARDS_DIR,
  GRAFANA_GLOBAL_VARIABLES,
  REPO_ROOT,
  interpolate,
  loadDashboards,
  panelsOf,
  parseLabelValues,
  placeholderValues,
  queriesOf,
  referencedVariables,
  variableQueryText,
  variablesOf,
  type DashboardFile,
  type PanelJson,
} from './dashboard-model.js';
import { typecheckJson, type JsonTypeCase } from './typecheck-json.js';

const EXPECTED_UIDS = [
  'fleetgate-cluster-detail',
  'fleetgate-fleet-overview',
  'fleetgate-gateway-internals',
  'fleetgate-ingest-cardinality',
  'fleetgate-slos',
];

const DATASOURCE_REF = { type: 'prometheus', uid: '${datasource}' };

const dashboards = loadDashboards();
const allQueries = dashboards.flatMap(queriesOf);

/** The PromQL parse tree's problems: error nodes with their position. */
function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: node => {
      if (node.type.isError)
        errors.push(
          `syntax error at ${node.from}: …${expr.slice(Math.max(0, node.from - 20), node.from)}⟨here⟩${expr.slice(node.from, node.from + 20)}…`
        );
    },
  });
  return errors;
}

/** Metric names a PromQL expression selects: bare names and `__name__` matchers. */
function selectedMetrics(expr: string): {
  names: string[];
  nameRegexes: string[];
} {
  const names: string[] = [];
  const nameRegexes: string[] = [];
  parser.parse(expr).iterate({
    enter: node => {
      if (
        node.name === 'Identifier' &&
        node.node.parent?.name === 'VectorSelector'
      )
        names.push(expr.slice(node.from, node.to));
      if (node.name === 'UnquotedLabelMatcher') {
        const text = expr.slice(node.from, node.to);
        const m = /^__name__\s*(=~|=)\s*"(.*)"$/s.exec(text);
        if (m?.[1] === '=') names.push(m[2] ?? '');
        else if (m?.[1] === '=~') nameRegexes.push(m[2] ?? '');
      }
    },
  });
  return { names, nameRegexes };
}

/** Every string literal in src/ outside tests, for metric-name lookups. */
function sourceText(): string {
  const parts: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts'))
        parts.push(readFileSync(path, 'utf8'));
    }
  };
  walk(join(REPO_ROOT, 'src'));
  return parts.join('\n');
}

/** prom-client's default metrics (collectDefaultMetrics), which fleetgate prefixes with `fleetgate_`. */
function promClientDefaultMetrics(): Set<string> {
  const dir = join(REPO_ROOT, 'node_modules/prom-client/lib/metrics');
  const names = new Set<string>();
  for (const file of readdirSync(dir).filter(f => f.endsWith('.js'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/'((?:process|nodejs)_[a-z0-9_]+)'/g))
      names.add(`fleetgate_${m[1] ?? ''}`);
  }
  return names;
}

/** Every recording rule name `fleetgate slo rules` can write, for the usual windows. */
function sloRecordNames(): Set<string> {
  const windows = [
    '5m',
    '30m',
    '1h',
    '2h',
    '6h',
    '1d',
    '3d',
    '7d',
    '28d',
    '30d',
  ];
  const names = new Set<string>();
  for (const template of Object.values(SLO_RECORD_NAMES)) {
    if (template.includes('{window}'))
      for (const w of windows) names.add(template.replace('{window}', w));
    else names.add(template);
  }
  return names;
}

/** The series name without a histogram/summary suffix. */
function baseMetricName(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}

function rectanglesOverlap(a: PanelJson, b: PanelJson): boolean {
  const g = a.gridPos;
  const h = b.gridPos;
  return (
    g.x < h.x + h.w && h.x < g.x + g.w && g.y < h.y + h.h && h.y < g.y + g.h
  );
}

describe('Grafana dashboards (dashboards/*.json)', () => {
  it('are the five fleetgate dashboards, with unique uids and titles', () => {
    expect(dashboards.map(d => d.json.uid).sort()).toEqual(EXPECTED_UIDS);
    expect(new Set(dashboards.map(d => d.json.title)).size).toBe(
      dashboards.length
    );
    for (const d of dashboards) {
      expect(d.json.title, d.file).toMatch(/^fleetgate \/ /);
      expect(d.json['tags'], d.file).toContain('fleetgate');
    }
  });

  it('have panels with PromQL queries', () => {
    for (const d of dashboards) {
      const panels = panelsOf(d.json);
      expect(panels.length, d.file).toBeGreaterThanOrEqual(10);
      for (const p of panels)
        expect(
          p.targets?.length ?? 0,
          `${d.file} › ${p.title}`
        ).toBeGreaterThan(0);
    }
    expect(allQueries.length).toBeGreaterThan(80);
  });

  describe.each(dashboards.map(d => [d.file, d] as const))(
    '%s',
    (_file, d: DashboardFile) => {
      const variables = variablesOf(d.json);
      const byName = new Map(variables.map(v => [v.name, v]));
      const queries = queriesOf(d);

      it('has a prometheus datasource variable that every panel, target and variable uses', () => {
        const ds = byName.get('datasource');
        expect(ds?.type).toBe('datasource');
        expect(ds?.query).toBe('prometheus');
        for (const p of panelsOf(d.json)) {
          expect(p.datasource, p.title).toEqual(DATASOURCE_REF);
          for (const t of p.targets ?? [])
            expect(t.datasource, `${p.title} [${t.refId}]`).toEqual(
              DATASOURCE_REF
            );
        }
        for (const v of variables.filter(x => x.type === 'query'))
          expect(v.datasource, v.name).toEqual(DATASOURCE_REF);
      });

      it('parses every panel query as PromQL, with no error node', () => {
        const values = placeholderValues(d.json);
        const problems: string[] = [];
        for (const q of queries) {
          const expr = interpolate(q.expr, values);
          for (const e of promqlErrors(expr)) problems.push(`${q.where}: ${e}`);
        }
        expect(problems).toEqual([]);
      });

      it('uses label_values(selector, label) variable queries whose selectors parse', () => {
        const values = placeholderValues(d.json);
        for (const v of variables.filter(x => x.type === 'query')) {
          const text = variableQueryText(v);
          expect(text, v.name).toBeDefined();
          const lv = parseLabelValues(text ?? '');
          expect(lv, `${v.name}: ${text ?? ''}`).toBeDefined();
          expect(lv?.label).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
          if (lv?.selector !== undefined)
            expect(
              promqlErrors(interpolate(lv.selector, values)),
              v.name
            ).toEqual([]);
        }
      });

      it('defines every variable it uses, before use, and uses every variable it defines', () => {
        const defined = new Set<string>();
        const used = new Set<string>();
        const problems: string[] = [];
        const checkRefs = (
          text: string,
          where: string,
          known: ReadonlySet<string>
        ): void => {
          for (const name of referencedVariables(text)) {
            used.add(name);
            if (!known.has(name) && !GRAFANA_GLOBAL_VARIABLES.has(name))
              problems.push(
                `${where} uses $${name}, which is not defined${byName.has(name) ? ' before it' : ''}`
              );
          }
        };
        for (const v of variables) {
          checkRefs(variableQueryText(v) ?? '', `variable ${v.name}`, defined);
          defined.add(v.name);
        }
        for (const p of panelsOf(d.json)) {
          checkRefs(p.title, `panel "${p.title}" title`, defined);
          for (const t of p.targets ?? []) {
            checkRefs(t.expr ?? '', `panel "${p.title}" [${t.refId}]`, defined);
            checkRefs(
              typeof t['legendFormat'] === 'string' ? t['legendFormat'] : '',
              `panel "${p.title}" legend`,
              defined
            );
            checkRefs(
              t.datasource?.uid ?? '',
              `panel "${p.title}" datasource`,
              defined
            );
          }
        }
        for (const v of variables)
          if (!used.has(v.name))
            problems.push(`variable ${v.name} is defined but never used`);
        expect(problems).toEqual([]);
      });

      it('selects only metrics that exist: fleetgate_* in src/, slo:* from the rule generator', () => {
        const source = sourceText();
        const defaults = promClientDefaultMetrics();
        const recordNames = sloRecordNames();
        const problems: string[] = [];
        const values = placeholderValues(d.json);
        const exprs = [
          ...queries.map(q => ({
            where: q.where,
            expr: interpolate(q.expr, values),
          })),
          ...variables.flatMap(v => {
            const sel = parseLabelValues(variableQueryText(v) ?? '')?.selector;
            return sel === undefined
              ? []
              : [
                  {
                    where: `variable ${v.name}`,
                    expr: interpolate(sel, values),
                  },
                ];
          }),
        ];
        for (const { where, expr } of exprs) {
          const { names, nameRegexes } = selectedMetrics(expr);
          for (const name of names) {
            if (name.startsWith('fleetgate_')) {
              const base = baseMetricName(name);
              if (
                !defaults.has(name) &&
                !defaults.has(base) &&
                !source.includes(`'${base}'`) &&
                !source.includes(`'${name}'`)
              )
                problems.push(
                  `${where}: ${name} is not a metric fleetgate exposes`
                );
            } else if (
              name.startsWith('slo:') ||
              name.startsWith('slo_fleet:')
            ) {
              if (!recordNames.has(name))
                problems.push(
                  `${where}: ${name} is not a recording rule fleetgate slo rules writes`
                );
            }
          }
          for (const re of nameRegexes) {
            const matcher = new RegExp(`^(?:${re})$`);
            if (![...recordNames].some(n => matcher.test(n)))
              problems.push(
                `${where}: __name__=~"${re}" matches no recording rule name`
              );
          }
        }
        expect(problems).toEqual([]);
      });

      it('lays panels out on the 24-column grid without overlaps, with unique ids', () => {
        const top = d.json.panels;
        const ids = top.map(p => p.id);
        expect(new Set(ids).size).toBe(ids.length);
        for (const p of top) {
          expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
          expect(p.gridPos.w, p.title).toBeGreaterThan(0);
          expect(p.gridPos.h, p.title).toBeGreaterThan(0);
        }
        const overlaps: string[] = [];
        for (let i = 0; i < top.length; i++)
          for (let j = i + 1; j < top.length; j++)
            if (rectanglesOverlap(top[i]!, top[j]!))
              overlaps.push(`"${top[i]!.title}" overlaps "${top[j]!.title}"`);
        expect(overlaps).toEqual([]);
      });

      it('gives every panel a description, a unit, and ordered thresholds with a base step', () => {
        for (const p of panelsOf(d.json)) {
          expect(typeof p['description'], p.title).toBe('string');
          const defaults = p.fieldConfig?.defaults;
          expect(defaults?.unit, `${p.title} has no unit`).toBeTruthy();
          const steps = defaults?.thresholds?.steps ?? [];
          expect(steps.length, `${p.title} has no thresholds`).toBeGreaterThan(
            0
          );
          expect(
            steps[0]?.value,
            `${p.title}: first threshold step is the base (null)`
          ).toBeNull();
          const levels = steps.slice(1).map(s => s.value ?? Number.NaN);
          expect(levels, `${p.title}: thresholds ascend`).toEqual(
            [...levels].sort((a, b) => a - b)
          );
        }
      });
    }
  );

  it('conform to the dashboard and panel types Grafana publishes (@grafana/schema)', () => {
    const cases: JsonTypeCase[] = [];
    for (const d of dashboards) {
      // The dashboard without its panels (checked one by one below).
      cases.push({
        name: `${d.file} (dashboard)`,
        value: { ...d.json, panels: [] },
        type: 'Dashboard',
      });
      for (const p of d.json.panels) {
        if (p.type === 'row') {
          cases.push({
            name: `${d.file} › row "${p.title}"`,
            value: p,
            type: 'RowPanel',
          });
          continue;
        }
        const plugin = PANEL_PLUGINS[p.type];
        expect(
          plugin,
          `${d.file} › "${p.title}": no schema known for panel type ${p.type}`
        ).toBeDefined();
        if (plugin === undefined) continue;
        const { options, targets, fieldConfig, ...rest } = p;
        const custom = fieldConfig?.defaults.custom;
        const name = `${d.file} › "${p.title}"`;
        cases.push({
          name,
          value: {
            ...rest,
            targets: [],
            fieldConfig: {
              defaults: { ...fieldConfig?.defaults, custom: {} },
              overrides: fieldConfig?.overrides ?? [],
            },
          },
          type: 'Panel',
        });
        cases.push({
          name: `${name} options`,
          value: options ?? {},
          type: `${plugin}.Options`,
        });
        if (custom !== undefined) {
          expect(
            PLUGINS_WITH_CUSTOM_FIELD_CONFIG.has(plugin),
            `${name}: ${p.type} has no custom field config`
          ).toBe(true);
          cases.push({
            name: `${name} fieldConfig.defaults.custom`,
            value: custom,
            type: `${plugin}.FieldConfig`,
          });
        }
        for (const t of targets ?? [])
          cases.push({
            name: `${name} target ${t.refId}`,
            value: t,
            type: 'PrometheusQuery',
          });
        for (const o of fieldConfig?.overrides ?? [])
          for (const property of o.properties) {
            const type = overridePropertyType(property.id, plugin);
            expect(
              type,
              `${name}: override property ${property.id} has no known type`
            ).toBeDefined();
            if (type !== undefined)
              cases.push({
                name: `${name} override ${property.id}`,
                value: property.value,
                type,
              });
          }
      }
    }
    const problems = typecheckJson(GRAFANA_TYPES_HEADER, cases);
    expect(
      problems.map(p => `${p.name}:\n  ${p.messages.join('\n  ')}`)
    ).toEqual([]);
  }, 120_000);

  it('reject JSON that does not conform (the type check bites)', () => {
    const problems = typecheckJson(GRAFANA_TYPES_HEADER, [
      {
        name: 'unknown key',
        value: { schemaVersion: 39, title: 'x', refrsh: '30s' },
        type: 'Dashboard',
      },
      {
        name: 'bad enum',
        value: { mode: 'absolut', steps: [] },
        type: 'ThresholdsConfig',
      },
      {
        name: 'missing legend',
        value: { tooltip: { mode: 'multi', sort: 'none' } },
        type: 'TimeSeriesPanel.Options',
      },
      {
        name: 'fine',
        value: { mode: 'absolute', steps: [{ color: 'green', value: null }] },
        type: 'ThresholdsConfig',
      },
    ]);
    expect(problems.map(p => p.name)).toEqual([
      'unknown key',
      'bad enum',
      'missing legend',
    ]);
  }, 60_000);
});

/** Panel type → the namespace its generated types are imported as. */
const PANEL_PLUGINS: Readonly<Record<string, string>> = {
  timeseries: 'TimeSeriesPanel',
  stat: 'StatPanel',
  table: 'TablePanel',
  bargauge: 'BarGaugePanel',
};

/** Panel plugins whose schema has a custom field config (stat and bar gauge have none). */
const PLUGINS_WITH_CUSTOM_FIELD_CONFIG: ReadonlySet<string> = new Set([
  'TimeSeriesPanel',
  'TablePanel',
]);

const GRAFANA_TYPES_HEADER = `
import type { Dashboard, Panel, RowPanel, DataQuery, FieldConfig, ThresholdsConfig, ValueMapping, FieldColor } from '@grafana/schema';
import type * as TimeSeriesPanel from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';
import type * as StatPanel from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type * as TablePanel from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type * as BarGaugePanel from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
// The Prometheus query model (Grafana's PromQuery: public/app/plugins/datasource/prometheus
// dataquery.cue); @grafana/schema no longer ships it, so its fields are listed here.
type PrometheusQuery = DataQuery & {
  expr: string;
  editorMode?: 'code' | 'builder';
  legendFormat?: string;
  range?: boolean;
  instant?: boolean;
  exemplar?: boolean;
  format?: 'time_series' | 'table' | 'heatmap';
  interval?: string;
  intervalFactor?: number;
};
`;

/** The type of a field-config override property value, by property id. */
function overridePropertyType(id: string, plugin: string): string | undefined {
  if (id.startsWith('custom.')) {
    const key = id.slice('custom.'.length);
    return !PLUGINS_WITH_CUSTOM_FIELD_CONFIG.has(plugin)
      ? undefined
      : `NonNullable<${plugin}.FieldConfig[${JSON.stringify(key)}]>`;
  }
  const known: Record<string, string> = {
    unit: 'string',
    decimals: 'number',
    min: 'number',
    max: 'number',
    displayName: 'string',
    thresholds: 'ThresholdsConfig',
    mappings: 'ValueMapping[]',
    color: 'FieldColor',
  };
  return known[id];
}

describe('Grafana provisioning (dashboards/provisioning)', () => {
  const provisioningDir = join(DASHBOARDS_DIR, 'provisioning');

  it('loads the dashboards from the folder docker-compose mounts them at', () => {
    const doc = parseYaml(
      readFileSync(join(provisioningDir, 'dashboards/fleetgate.yaml'), 'utf8')
    ) as {
      apiVersion: number;
      providers: { type: string; options: { path: string } }[];
    };
    expect(doc.apiVersion).toBe(1);
    expect(doc.providers).toHaveLength(1);
    expect(doc.providers[0]?.type).toBe('file');
    const compose = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(
      `./dashboards:${doc.providers[0]?.options.path ?? '?'}:ro`
    );
  });

  it('provides a default Prometheus datasource for the datasource variable', () => {
    const doc = parseYaml(
      readFileSync(join(provisioningDir, 'datasources/fleetgate.yaml'), 'utf8')
    ) as {
      apiVersion: number;
      datasources: {
        type: string;
        isDefault?: boolean;
        url: string;
        jsonData?: { timeInterval?: string };
      }[];
    };
    expect(doc.apiVersion).toBe(1);
    const defaults = doc.datasources.filter(d => d.isDefault === true);
    expect(defaults).toHaveLength(1);
    expect(defaults[0]?.type).toBe('prometheus');
    expect(defaults[0]?.url).toMatch(/^http:\/\//);
    // $__rate_interval is derived from it; it must match the central Prometheus.
    expect(defaults[0]?.jsonData?.timeInterval).toMatch(/^\d+s$/);
  });
});
