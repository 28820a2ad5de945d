export { type Bridge, startBridge } from './bridge.js';
export { type BridgeConfig, type BridgeConfigInput, bridgeConfigSchema, bridgeNameSchema } from './config.js';
export { fingerprintOf, probeHostKey } from './host-key.js';
export { type RotateKeyOptions, type RotateKeyResult, rotateMachineKey } from './key-rotation.js';
export {
  checkMachineLogin,
  type LoginCheckOptions,
  type LoginCheckResult,
  type LoginCheckStep,
  type LoginCheckTarget,
} from './login-check.js';
export { loadMachineKey, type MachineKey } from './machine-keys.js';
export { type BridgeMetrics, DURATION_BUCKETS, type FinishOutcome } from './metrics.js';
export type { ConnectionOptions, SshTarget } from './ssh-connection.js';
export { readTeamKeyFile } from './team-keys.js';
