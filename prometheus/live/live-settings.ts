/** The live monitoring run's ports, intervals and limits (monitoring-live.ts). */

/** Development ports (the contract ports 8001-8004, 9090 belong to the compose stack). */
export const PORTS = {
  edge: 18000,
  v1: 18001,
  v2: 18002,
  nginxStatus: 18003,
  prometheus: 19090,
  nginxExporter: 19113,
  nodeExporter: 19100,
};
/** Scrape and evaluation interval of the test Prometheus. */
export const INTERVAL_SECONDS = 2;
/** Window that replaces Grafana's $__rate_interval in panel queries. */
export const RATE_INTERVAL = '1m';
/** Low enough that a short burst gets 429, high enough for the coverage rounds before it. */
export const RATE_LIMIT_PER_MINUTE = 60;
/** How long to keep re-checking before the remaining failures are final. */
export const SETTLE_TIMEOUT_MS = 90_000;
