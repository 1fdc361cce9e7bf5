import { describe, expect, it } from 'vitest';
import { SLO_RECORD_NAMES, sloRecordName } from './slo-rule-names.js';

describe('sloRecordName()', () => {
  it.each([
    ['errorRatio', '5m', 'slo:sli_error:ratio_rate5m'],
    ['badIncrease', '30d', 'slo:sli_bad:increase30d'],
    ['fleetBurnRate', '1h', 'slo_fleet:burn_rate:ratio_rate1h'],
    ['objective', undefined, 'slo:objective:ratio'],
  ] as const)('names %s over %s %s', (kind, window, want) => {
    expect(sloRecordName(kind, window)).toBe(want);
  });

  it('throws for a windowed kind without a window', () => {
    expect(() => sloRecordName('burnRate')).toThrow(
      'cannot name burnRate: it needs a window such as "5m"'
    );
  });

  it('names only valid Prometheus metric names, per-cluster under slo:, fleet under slo_fleet:', () => {
    for (const [kind, template] of Object.entries(SLO_RECORD_NAMES)) {
      const name = template.replace('{window}', '30d');
      expect(name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      expect(
        name.startsWith(kind.startsWith('fleet') ? 'slo_fleet:' : 'slo:')
      ).toBe(true);
    }
  });
});
