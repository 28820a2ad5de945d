export { type Heartbeat, startHeartbeat } from './heartbeat.js';
export { MachineSampler, type SampleTarget } from './machine-sampler.js';
export { type BridgeMetrics, createBridgeMetrics, DURATION_BUCKETS, type FinishOutcome } from './metrics.js';
export { type MetricsServer, serveMetrics } from './metrics-server.js';
