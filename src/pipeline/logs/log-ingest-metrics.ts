/**
 * The log pipeline's own metrics, on the gateway's Registry. Get-or-create:
 * the logs service is rebuilt on every config reload against the same
 * registry, and prom-client refuses to register a name twice. Cluster label
 * values are bounded: registry names, or `unregistered` for anonymous data.
 */
import { Counter, type Registry } from 'prom-client';

export const RECEIVED_LOG_RECORDS_METRIC =
  'fleetgate_received_log_records_total';
export const RECEIVED_LOG_BYTES_METRIC = 'fleetgate_received_log_bytes_total';
export const REJECTED_LOG_RECORDS_METRIC =
  'fleetgate_log_records_rejected_total';
export const REFUSED_LOG_BYTES_METRIC =
  'fleetgate_ingestion_refused_log_bytes_total';
export const LOG_LABEL_CONFLICTS_METRIC = 'fleetgate_log_label_conflicts_total';
export const LOG_OBSERVER_ERRORS_METRIC = 'fleetgate_log_observer_errors_total';

export class LogIngestMetrics {
  /** Records accepted (acknowledged), by cluster. */
  readonly receivedRecords: Counter<'cluster'>;
  /** Body bytes of those records, by cluster (the rate-limited volume). */
  readonly receivedBytes: Counter<'cluster'>;
  /** Records refused one by one (partial success), by cluster and reason. */
  readonly rejectedRecords: Counter<'cluster' | 'reason'>;
  /** Body bytes in requests refused by the log rate limit (the sender retries them). */
  readonly refusedBytes: Counter<'cluster' | 'reason'>;
  /** Resources whose sent canonical attribute disagreed with the registry and was overwritten. */
  readonly labelConflicts: Counter<'cluster' | 'label'>;
  /** Observer (tap) calls that threw; the request still succeeds. */
  readonly observerErrors: Counter<'observer'>;

  constructor(registry: Registry) {
    this.receivedRecords = counter(
      registry,
      RECEIVED_LOG_RECORDS_METRIC,
      'Log records accepted, by cluster.',
      ['cluster']
    );
    this.receivedBytes = counter(
      registry,
      RECEIVED_LOG_BYTES_METRIC,
      'Body bytes (UTF-8 text of the log body) of the log records accepted, by cluster.',
      ['cluster']
    );
    this.rejectedRecords = counter(
      registry,
      REJECTED_LOG_RECORDS_METRIC,
      'Log records refused one by one and reported in OTLP partial_success (line_too_long), by cluster and reason.',
      ['cluster', 'reason']
    );
    this.refusedBytes = counter(
      registry,
      REFUSED_LOG_BYTES_METRIC,
      'Body bytes in log requests refused by the log ingestion rate limit, by cluster and reason. The sender keeps and retries them.',
      ['cluster', 'reason']
    );
    this.labelConflicts = counter(
      registry,
      LOG_LABEL_CONFLICTS_METRIC,
      'Log resources whose sender-supplied canonical attribute (cluster, region, env, team) disagreed with the registry and was overwritten.',
      ['cluster', 'label']
    );
    this.observerErrors = counter(
      registry,
      LOG_OBSERVER_ERRORS_METRIC,
      'Log batch observers (taps) that threw, by observer name.',
      ['observer']
    );
  }
}

function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[]
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing;
  return new Counter({ name, help, labelNames, registers: [registry] });
}
