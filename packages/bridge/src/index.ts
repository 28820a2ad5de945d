export { type Bridge, startBridge } from './bridge.js';
export {
  BRIDGE_DEFAULTS,
  BRIDGE_LIMITS,
  type BridgeConfig,
  type BridgeConfigInput,
  bridgeConfigSchema,
  bridgeNameSchema,
  runsPerAgent,
} from './config.js';
export { readTeamKeyFile } from './run/index.js';
export {
  type ConnectionOptions,
  checkMachineLogin,
  fingerprintOf,
  type LoginCheckOptions,
  type LoginCheckResult,
  type LoginCheckStep,
  type LoginCheckTarget,
  loadMachineKey,
  type MachineKey,
  probeHostKey,
  type RotateKeyOptions,
  type RotateKeyResult,
  reloadMachineKey,
  rotateMachineKey,
  type SshTarget,
} from './ssh/index.js';
export { type BridgeMetrics, DURATION_BUCKETS, type FinishOutcome } from './status/index.js';
