/**
 * What /-/ready answers. Degraded shared state never stops ingestion, so
 * the gateway stays ready and says why it is degraded.
 */
import type { Readiness } from '../api/index.js';
import type { StoreHealth } from '../state/index.js';

export function gatewayReadiness(
  isDraining: boolean,
  health: { readonly store: StoreHealth; readonly eventLog: StoreHealth }
): Readiness {
  if (isDraining) return { ready: false, reasons: ['shutting down'] };
  const { store, eventLog } = health;
  if (eventLog.degraded && !store.degraded) {
    return {
      ready: true,
      reasons: [
        `degraded: event log unavailable (${eventLog.reason ?? 'unknown'})`,
      ],
    };
  }
  if (store.degraded)
    return {
      ready: true,
      reasons: [
        `degraded: shared state unavailable (${store.reason ?? 'unknown'})`,
      ],
    };
  return { ready: true, reasons: [] };
}
