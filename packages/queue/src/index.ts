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
} from './cancellations.js';
export { asRedisError, type ConnectionRole, createRedis, safeUrl, waitReady } from './connection.js';
export { KEY_ROOT, registryKeys, TASK_QUEUE, taskKey, teamPrefix } from './keys.js';
export { openTeamQueue, TeamQueues } from './queues.js';
export {
  addMachine,
  createTeam,
  findMachine,
  getMachine,
  getTeam,
  listMachines,
  listTeams,
  removeMachine,
} from './registry.js';
export { listTasks, readTask, snapshotOf } from './task-reader.js';
