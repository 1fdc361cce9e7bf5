import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { FleetEvaluation } from '../fleet/index.js';
import type { SloReport } from '../slo/index.js';
import { FleetAlertSource } from '../alerting/index.js';
import { FLEETGATE_RUNBOOKS_URL, runbookUrlOf } from './runbook-url.js';
import { SloAlertSource } from '../alerting/index.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const ALERTS_DIR = join(REPO, 'alerts');

/** GitHub's anchor for a Markdown heading: lowercase, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
}

/** Every YAML file under `dir`, recursively. */
async function yamlFilesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFilesIn(path)));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/** Every `runbook_url` value anywhere in a parsed YAML document. */
function runbookUrlsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) runbookUrlsIn(item, out);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'runbook_url' && typeof value === 'string') out.push(value);
      else runbookUrlsIn(value, out);
    }
  }
  return out;
}

describe('runbook links', () => {
  let anchors: Set<string>;
  beforeAll(async () => {
    const runbooks = await readFile(join(ALERTS_DIR, 'RUNBOOKS.md'), 'utf8');
    anchors = new Set(
      [...runbooks.matchAll(/^#{1,6} (.+)$/gm)].map(m => anchorOf(m[1] ?? ''))
    );
  });

  /** Why `url` is not a section of alerts/RUNBOOKS.md, or undefined. */
  const problemOf = (url: string): string | undefined => {
    if (!url.startsWith(`${FLEETGATE_RUNBOOKS_URL}#`))
      return `${url} is not a section of alerts/RUNBOOKS.md`;
    const anchor = url.slice(FLEETGATE_RUNBOOKS_URL.length + 1);
    return anchors.has(anchor)
      ? undefined
      : `${url}: no heading with anchor #${anchor} in alerts/RUNBOOKS.md`;
  };

  it('runbookUrlOf() anchors the lowercase alert name', () => {
    expect(runbookUrlOf('FleetgateClusterDown')).toBe(
      `${FLEETGATE_RUNBOOKS_URL}#fleetgateclusterdown`
    );
  });

  it('resolves every runbook_url in alerts/**/*.yml to a RUNBOOKS.md heading', async () => {
    const files = await yamlFilesIn(ALERTS_DIR);
    let count = 0;
    for (const file of files) {
      const urls = runbookUrlsIn(parseYaml(await readFile(file, 'utf8')));
      count += urls.length;
      for (const url of urls)
        expect(problemOf(url), file.slice(REPO.length)).toBeUndefined();
    }
    // fleetgate-rules.yml, its tests, and the generated SLO example.
    expect(count).toBeGreaterThan(30);
  });

  // Links are built by runbookUrlOf() rather than written out (the alerts
  // the sources send are checked below); one written out must resolve too.
  it('resolves every RUNBOOKS.md link written out in src/alerting and src/slo/rules', async () => {
    for (const dir of ['src/alerting', 'src/slo/rules']) {
      for (const name of await readdir(join(REPO, dir))) {
        if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
        const text = await readFile(join(REPO, dir, name), 'utf8');
        for (const [url] of text.matchAll(
          /https:\/\/github\.com\/fleetgate\/fleetgate\/blob\/main\/alerts\/RUNBOOKS\.md#[a-z0-9-]+/g
        ))
          expect(problemOf(url), `${dir}/${name}`).toBeUndefined();
      }
    }
  });

  it('resolves the runbook_url of every alert the gateway sends itself', async () => {
    const cluster = (name: string, state: string): unknown => ({
      cluster: name,
      region: 'eu',
      env: 'prod',
      team: 'payments',
      state,
      reasons: [],
    });
    const fleet = await new FleetAlertSource({
      evaluate: async () =>
        ({
          clusters: [
            cluster('a', 'down'),
            cluster('b', 'stale'),
            cluster('c', 'degraded'),
          ],
        }) as unknown as FleetEvaluation,
    }).activeAlerts();
    const budget = { total: 0.01, consumed: 2, remaining: -1 };
    const report = {
      name: 's',
      service: 'svc',
      description: '',
      objective: 0.99,
      window: '30d',
      labels: {},
      sli: 0.9,
      error_budget: budget,
      windows: {},
      alerts: { page: true, ticket: true },
      clusters: [
        {
          cluster: 'a',
          sli: 0.9,
          error_budget: budget,
          windows: {},
          alerts: { page: true, ticket: true },
        },
      ],
      warnings: [],
    } as SloReport;
    const slo = await new SloAlertSource({
      reports: async () => [report],
    }).activeAlerts();
    const sent = [...fleet, ...slo];
    expect(new Set(sent.map(a => a.labels['alertname']))).toEqual(
      new Set([
        'FleetgateClusterDown',
        'FleetgateClusterStale',
        'FleetgateClusterDegraded',
        'SLOErrorBudgetBurn',
        'SLOFleetErrorBudgetBurn',
      ])
    );
    for (const alert of sent)
      expect(
        problemOf(alert.annotations['runbook_url'] ?? ''),
        alert.labels['alertname']
      ).toBeUndefined();
  });
});
