/**
 * GET /-/healthy, GET /-/ready, POST /-/reload. Ready answers 503 while the
 * gateway starts or drains, so a load balancer stops sending before
 * in-flight work is lost.
 */
import type { RequestHandler } from 'express';
import { ConfigError } from '../../errors.js';

export interface Readiness {
  ready: boolean;
  /** Why not ready, or what is degraded while still ready. */
  reasons: string[];
}

export interface HealthRouteDeps {
  readiness: () => Readiness;
  reload: () => Promise<void>;
}

export function healthyHandler(): RequestHandler {
  return (_req, res) => {
    res.type('text/plain').send('fleetgate is healthy.\n');
  };
}

export function readyHandler(deps: HealthRouteDeps): RequestHandler {
  return (_req, res) => {
    const { ready, reasons } = deps.readiness();
    const detail = reasons.length > 0 ? ` (${reasons.join('; ')})` : '';
    res.status(ready ? 200 : 503).type('text/plain');
    res.send(
      ready
        ? `fleetgate is ready${detail}.\n`
        : `fleetgate is not ready${detail}.\n`
    );
  };
}

export function reloadHandler(deps: HealthRouteDeps): RequestHandler {
  return async (_req, res) => {
    try {
      await deps.reload();
    } catch (err) {
      // A bad config is the operator's input, answered like bad data; the old config keeps serving.
      if (err instanceof ConfigError) {
        res.status(400).json({
          status: 'error',
          errorType: 'bad_data',
          error: err.message,
          issues: err.issues,
        });
        return;
      }
      throw err;
    }
    res.json({ status: 'success', data: { reloaded: true } });
  };
}
