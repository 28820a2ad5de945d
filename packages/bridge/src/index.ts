export { type Bridge, startBridge } from './bridge.js';
export { type BridgeConfig, type BridgeConfigInput, bridgeConfigSchema } from './config.js';
export { fingerprintOf, probeHostKey } from './host-key.js';
