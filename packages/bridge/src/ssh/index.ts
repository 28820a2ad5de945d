export { type ConnectionOptions, SshConnection, type SshTarget } from './connection.js';
export { fingerprintOf, probeHostKey } from './host-key.js';
export { type RotateKeyOptions, type RotateKeyResult, rotateMachineKey } from './key-rotation.js';
export {
  checkMachineLogin,
  type LoginCheckOptions,
  type LoginCheckResult,
  type LoginCheckStep,
  type LoginCheckTarget,
} from './login-check.js';
export { type HeldMachineKey, loadMachineKey, type MachineKey, reloadMachineKey } from './machine-keys.js';
export { shellWord } from './shell-word.js';
