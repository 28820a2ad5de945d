export { putBackUnstarted } from './lifecycle.js';
export { type MachineRegistry, machineRegistry } from './machine-registry.js';
export { type AuditFn, taskDataOf, taskProcessor } from './processor.js';
export { stopAllTasks, stopTask } from './stop-reason.js';
export { loadTeamKeys, readTeamKeyFile } from './team-keys.js';
