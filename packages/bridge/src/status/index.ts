export { type Heartbeat, startHeartbeat } from './heartbeat.js';
export { type BridgeMetrics, createBridgeMetrics, DURATION_BUCKETS, type FinishOutcome } from './metrics.js';
export { type MetricsServer, serveMetrics } from './metrics-server.js';
