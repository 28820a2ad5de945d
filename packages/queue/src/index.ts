export { ALERTS_KEPT, type Alert, readAlerts, recordAlert } from './alerts.js';
export { CANCEL_REQUEST_TTL_SECONDS, cancelRequested, requestCancel } from './cancel-requests.js';
export {
  CANCELLED_REASON,
  type CancelPendingResult,
  cancelPending,
  countTombstones,
  hasTombstone,
  listTombstones,
  readTombstone,
  trimTombstones,
} from './cancellations.js';
export { asRedisError, type ConnectionRole, createRedis, safeUrl, waitReady } from './connection.js';
export { KEY_ROOT, LANE_QUEUES, queueNameFor, registryKeys, taskKey, teamPrefix } from './keys.js';
export {
  acquireMachineSlot,
  type MachineSlotRef,
  machineSlotHolders,
  releaseMachineSlot,
  renewIntervalMs,
  renewMachineSlot,
} from './machine-slots.js';
export {
  appendOutput,
  OUTPUT_CHUNK_BYTES,
  OUTPUT_STREAM_CHUNKS,
  OUTPUT_STREAM_TTL_SECONDS,
  type OutputChunk,
  readOutputChunks,
  streamedOutputEnd,
} from './output-stream.js';
export { putBack } from './put-back.js';
export { type LaneQueue, openTeamQueue, TeamQueues } from './queues.js';
export {
  addMachine,
  createTeam,
  findMachine,
  getMachine,
  getTeam,
  listMachines,
  listTeams,
  removeMachine,
  replaceMachineKey,
  updateMachine,
} from './registry.js';
export { listTasks, readTask, snapshotOf } from './task-reader.js';
export {
  countTeamTasks,
  findJob,
  laneHolding,
  listTeamTasks,
  locateTask,
  readTeamTask,
  type TaskCounts,
  type TaskLocation,
} from './team-tasks.js';
export {
  deleteVaultEntry,
  getVaultEntries,
  listVaultEntries,
  missingVaultEntries,
  putVaultEntry,
} from './vault.js';
