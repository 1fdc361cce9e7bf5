/**
 * Reads the Grafana dashboards in dashboards/ the way Grafana does, for the
 * unit test (structure, PromQL syntax, types) and the end-to-end test (every
 * panel query against a real Prometheus): panels (rows flattened), their
 * Prometheus targets, the template variables, and Grafana's variable
 * interpolation (`$var`, `${var}`, `${var:format}`, `[[var]]`, and the
 * built-in `$__rate_interval`-style variables).
 *
 * Nothing here imports vitest: plain data in, plain data out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const DASHBOARDS_DIR = join(REPO_ROOT, 'dashboards');

/** The part of a Grafana classic dashboard these tests read. */
export interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  templating: { list: VariableJson[] };
  [key: string]: unknown;
}

export interface PanelJson {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: TargetJson[];
  panels?: PanelJson[];
  fieldConfig?: {
    defaults: {
      unit?: string;
      thresholds?: {
        mode: string;
        steps: { color: string; value: number | null }[];
      };
      custom?: Record<string, unknown>;
      [key: string]: unknown;
    };
    overrides: {
      matcher: { id: string; options?: unknown };
      properties: { id: string; value?: unknown }[];
    }[];
  };
  options?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface TargetJson {
  refId: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
  [key: string]: unknown;
}

export interface VariableJson {
  name: string;
  type: string;
  query?: string | { query?: string; [key: string]: unknown };
  definition?: string;
  datasource?: { type?: string; uid?: string } | null;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  [key: string]: unknown;
}

export interface DashboardFile {
  /** File name in dashboards/, e.g. `fleetgate-slos.json`. */
  readonly file: string;
  readonly path: string;
  readonly json: DashboardJson;
}

/** One Prometheus query of one panel. */
export interface PanelQuery {
  readonly dashboard: string;
  readonly panelId: number;
  readonly panelTitle: string;
  readonly panelType: string;
  readonly refId: string;
  readonly expr: string;
  /** `dashboard › panel [refId]`, for messages. */
  readonly where: string;
}

/** Every `*.json` in dashboards/, parsed, sorted by file name. */
export function loadDashboards(dir: string = DASHBOARDS_DIR): DashboardFile[] {
  return readdirSync(dir)
    .filter(f => f.endsWith('.json'))
    .sort()
    .map(file => {
      const path = join(dir, file);
      return {
        file,
        path,
        json: JSON.parse(readFileSync(path, 'utf8')) as DashboardJson,
      };
    });
}

/** Every panel, rows' nested (collapsed) panels included, rows excluded. */
export function panelsOf(dashboard: DashboardJson): PanelJson[] {
  const out: PanelJson[] = [];
  const visit = (panels: readonly PanelJson[]): void => {
    for (const p of panels) {
      if (p.type === 'row') visit(p.panels ?? []);
      else out.push(p);
    }
  };
  visit(dashboard.panels);
  return out;
}

/** Rows, for layout checks. */
export function rowsOf(dashboard: DashboardJson): PanelJson[] {
  return dashboard.panels.filter(p => p.type === 'row');
}

/** Every target with a PromQL `expr`, in panel order. */
export function queriesOf(file: DashboardFile): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const panel of panelsOf(file.json)) {
    for (const t of panel.targets ?? []) {
      if (typeof t.expr !== 'string') continue;
      out.push({
        dashboard: file.file,
        panelId: panel.id,
        panelTitle: panel.title,
        panelType: panel.type,
        refId: t.refId,
        expr: t.expr,
        where: `${file.file} › "${panel.title}" [${t.refId}]`,
      });
    }
  }
  return out;
}

export function variablesOf(dashboard: DashboardJson): VariableJson[] {
  return dashboard.templating.list;
}

/** The query text of a query variable (string form or the editor's object form). */
export function variableQueryText(v: VariableJson): string | undefined {
  if (typeof v.query === 'string') return v.query;
  if (v.query !== undefined && typeof v.query.query === 'string')
    return v.query.query;
  return undefined;
}

/**
 * Grafana's global variables (docs: "Global variables"); `$__rate_interval`
 * and friends are filled in from the time range and the scrape interval.
 */
export const GRAFANA_GLOBAL_VARIABLES: ReadonlySet<string> = new Set([
  '__interval',
  '__interval_ms',
  '__rate_interval',
  '__rate_interval_ms',
  '__range',
  '__range_s',
  '__range_ms',
  '__from',
  '__to',
  '__dashboard',
  '__org',
  '__user',
  '__name',
  '__timezone',
]);

// $name, ${name}, ${name:format}, [[name]] (Grafana's template syntax).
const VARIABLE_RE =
  /\$([A-Za-z_][A-Za-z0-9_]*)|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}|\[\[([A-Za-z_][A-Za-z0-9_]*)(?::[^\]]*)?\]\]/g;

/** Names of the variables `text` refers to, in order of appearance, unique. */
export function referencedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(VARIABLE_RE)) {
    const name = m[1] ?? m[2] ?? m[3];
    if (name !== undefined) names.add(name);
  }
  return [...names];
}

/**
 * Durations for the global variables, as Grafana would fill them for a
 * 1h range at a 15s scrape interval ($__rate_interval = max(4 × scrape
 * interval, $__interval + scrape interval) = 1m).
 */
export const DEFAULT_GLOBALS: Readonly<Record<string, string>> = {
  __interval: '15s',
  __interval_ms: '15000',
  __rate_interval: '1m',
  __rate_interval_ms: '60000',
  __range: '1h',
  __range_s: '3600',
  __range_ms: '3600000',
};

/**
 * Replaces every variable reference by its value: `values` first, then the
 * globals. Throws on a reference to an unknown variable, so a typo never
 * reaches Prometheus as a literal `$clustr`.
 */
export function interpolate(
  text: string,
  values: Readonly<Record<string, string>>,
  globals: Readonly<Record<string, string>> = DEFAULT_GLOBALS
): string {
  return text.replace(
    VARIABLE_RE,
    (
      whole,
      a: string | undefined,
      b: string | undefined,
      c: string | undefined
    ) => {
      const name = a ?? b ?? c ?? '';
      const value = values[name] ?? globals[name];
      if (value === undefined)
        throw new Error(`cannot interpolate ${whole} in ${text}: no value`);
      return value;
    }
  );
}

/** A `label_values(...)` variable query, taken apart. */
export interface LabelValuesQuery {
  /** The series selector, when given (`label_values(selector, label)`). */
  readonly selector: string | undefined;
  readonly label: string;
}

/**
 * Parses Grafana's Prometheus variable query `label_values(label)` or
 * `label_values(selector, label)`; undefined for any other query form.
 */
export function parseLabelValues(query: string): LabelValuesQuery | undefined {
  const m = /^\s*label_values\((.*)\)\s*$/s.exec(query);
  if (m === null) return undefined;
  const inner = (m[1] ?? '').trim();
  const comma = inner.lastIndexOf(',');
  if (comma < 0) return { selector: undefined, label: inner };
  // The label is after the last comma outside braces.
  const closing = inner.lastIndexOf('}');
  if (closing > comma) return undefined;
  return {
    selector: inner.slice(0, comma).trim(),
    label: inner.slice(comma + 1).trim(),
  };
}

/** Every query variable's value in "All" form (its allValue) or a placeholder. */
export function placeholderValues(
  dashboard: DashboardJson
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const v of variablesOf(dashboard)) {
    values[v.name] =
      v.type === 'datasource'
        ? 'prometheus'
        : (v.allValue ?? `example-${v.name}`);
  }
  return values;
}
