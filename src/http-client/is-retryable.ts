/**
 * Which HTTP statuses a sender retries (remote write, Loki, OTLP logs, Alertmanager).
 *
 * STYLE rule 12 (from OTLP) retries 429/502/503/504 only; remote write 1.0 is
 * stricter: senders MUST retry every 5xx and MAY retry 429 (PROTOCOLS.md §2.1),
 * and receivers use 500 for a failed commit (§2.5), so every 5xx is retried here.
 * 429 is retried too: dropping it would lose data the gateway promised to keep.
 */
export function isRetryableStatus(httpStatus: number): boolean {
  return httpStatus === 429 || (httpStatus >= 500 && httpStatus <= 599);
}
