import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SLO_RUNBOOK_URL,
  sloAlertAnnotations,
  sloAlertLabels,
  type SloAlertSubject,
} from './slo-alert-content.js';

const SLO: SloAlertSubject = {
  name: 'checkout-availability',
  service: 'checkout',
  description: 'Checkout answers without a server error.',
  objective: 0.999,
  window: '30d',
  labels: { team: 'payments' },
};

const RUNBOOKS =
  'https://github.com/fleetgate/fleetgate/blob/main/alerts/RUNBOOKS.md';

describe('sloAlertLabels()', () => {
  it('labels severity, scope, SLO, service and the SLO labels', () => {
    expect(sloAlertLabels(SLO, 'cluster', 'page')).toEqual({
      severity: 'page',
      scope: 'cluster',
      slo: 'checkout-availability',
      service: 'checkout',
      team: 'payments',
    });
  });

  it('keeps identity and topology names out of the SLO labels, in both scopes', () => {
    const slo = {
      ...SLO,
      labels: {
        alertname: 'x',
        severity: 'critical',
        scope: 'x',
        slo: 'x',
        service: 'x',
        cluster: 'x',
        region: 'x',
        env: 'prod',
        __hidden: 'x',
        tier: '1',
      },
    };
    for (const scope of ['cluster', 'fleet'] as const)
      expect(sloAlertLabels(slo, scope, 'ticket')).toEqual({
        severity: 'ticket',
        scope,
        slo: 'checkout-availability',
        service: 'checkout',
        tier: '1',
      });
  });
});

describe('sloAlertAnnotations()', () => {
  it('names the cluster, the objective and the severity, and links the RUNBOOKS.md section', () => {
    expect(
      sloAlertAnnotations(SLO, 'cluster', 'page', { cluster: 'prod-eu' })
    ).toEqual({
      summary:
        'SLO checkout-availability (checkout) is burning its error budget too fast in cluster prod-eu',
      description:
        'The error budget of checkout-availability (99.9% over 30d) is burning in cluster prod-eu faster than its page threshold, over both a long and a short window. Checkout answers without a server error.',
      runbook_url: `${RUNBOOKS}#sloerrorbudgetburn`,
    });
  });

  it('speaks of the fleet, and links its own section, in the fleet scope', () => {
    const got = sloAlertAnnotations(SLO, 'fleet', 'ticket', { cluster: '' });
    expect(got['summary']).toBe(
      'SLO checkout-availability (checkout) is burning its error budget too fast across the fleet'
    );
    expect(got['description']).toMatch(
      /^The error budget of checkout-availability \(99\.9% over 30d\) is burning across the fleet faster than its ticket threshold/
    );
    expect(got['runbook_url']).toBe(`${RUNBOOKS}#slofleeterrorbudgetburn`);
  });

  it('leaves the description out when the SLO has none', () => {
    const got = sloAlertAnnotations(
      { ...SLO, description: '' },
      'cluster',
      'page',
      { cluster: 'a' }
    );
    expect(got['description']).toMatch(/short window\.$/);
  });

  it('escapes config text but not the cluster (a template in the rules)', () => {
    const got = sloAlertAnnotations(
      { ...SLO, service: 'svc {x}', description: 'see {x}' },
      'cluster',
      'page',
      {
        cluster: '{{ $labels.cluster }}',
        escape: text => text.replaceAll('{x}', '<x>'),
        runbookUrl: 'https://wiki/{service}/{slo}#{alert}',
      }
    );
    expect(got).toEqual({
      summary:
        'SLO checkout-availability (svc <x>) is burning its error budget too fast in cluster {{ $labels.cluster }}',
      description:
        'The error budget of checkout-availability (99.9% over 30d) is burning in cluster {{ $labels.cluster }} faster than its page threshold, over both a long and a short window. see <x>',
      runbook_url:
        'https://wiki/svc <x>/checkout-availability#sloerrorbudgetburn',
    });
  });

  it('defaults to the RUNBOOKS.md anchor of the alert', () => {
    expect(DEFAULT_SLO_RUNBOOK_URL).toBe(`${RUNBOOKS}#{alert}`);
  });
});
