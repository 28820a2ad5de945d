export {
  asAccessDenied,
  describeUser,
  isAccessRefusal,
  readableTeams,
  refusedCommand,
  whoAmI,
} from './access.js';
export { type AclApplyResult, type AclShowEntry, type AclUser, applyAcl, showAcl } from './acl-users.js';
export {
  addAlertRule,
  addWebhook,
  getWebhook,
  listAlertRules,
  listWebhooks,
  newAlertRuleId,
  newWebhookId,
  removeAlertRule,
  removeWebhook,
  replaceWebhook,
  webhooksFor,
} from './alert-config.js';
export { ALERT_LOG_KEPT, appendAlertLog, readAlertLog } from './alert-log.js';
export { ALERTS_KEPT, type Alert, alertFromFields, readAlerts, recordAlert } from './alerts.js';
export { type ArchivePass, archiveTeam, exportFinished, getRetention, setRetention } from './archive.js';
export {
  AUDIT_KEPT,
  type AuditCursors,
  type AuditIntegrity,
  type AuditPage,
  addAuditCursors,
  appendAudit,
  auditAppendCommand,
  auditCommands,
  auditIntegrity,
  auditWriter,
  auditWritersCommand,
  auditWritersOf,
  compareEntries,
  followAudit,
  queueAudit,
  readAudit,
  resolveActor,
  sendAudit,
  WriterListing,
} from './audit-log.js';
export { AuditWriter } from './audit-writer.js';
export { type BatchTarget, batchInfo, batchMachines, oneTeam, selectorText } from './batch-plan.js';
export {
  batchStoppedBy,
  findBatchTeam,
  readBatchIndex,
  removeBatchIndex,
  stopBatch,
  writeBatchIndex,
} from './batches.js';
export {
  type BridgeHeartbeat,
  bridgeHeartbeatSchema,
  clearHeartbeat,
  liveBridges,
  type TeamSlots,
  teamSlotsSchema,
  writeHeartbeat,
} from './bridge-heartbeats.js';
export { CANCEL_REQUEST_TTL_SECONDS, cancelRequested, requestCancel } from './cancel-requests.js';
export {
  CANCELLED_REASON,
  type CancelPendingResult,
  cancelPending,
  countTombstones,
  hasTombstone,
  readTombstone,
  trimTombstones,
} from './cancellations.js';
export { type ConnectionRole, createRedis, duplicateRedis, lastConnectionError, waitReady } from './connection.js';
export { asRedisError, redisAddress } from './connection-errors.js';
export {
  createDashboardToken,
  hashToken,
  listDashboardTokens,
  type NewDashboardToken,
  revokeDashboardToken,
  type TokenCheck,
  verifyDashboardToken,
  verifyTokenId,
} from './dashboard-tokens.js';
export {
  appendOutputFenced,
  fenceOf,
  holdsLock,
  LockLostError,
  type TaskFence,
  writeProgress,
} from './fencing.js';
export { type LaneEvent, laneEventsAfter, laneEventsKey, lastLaneEventId } from './lane-events.js';
export {
  indexByMachine,
  type MachineCursor,
  type MachineIndexEntry,
  machineIndexCommands,
  machineIndexKey,
  machineUnindexCommands,
  tasksOfMachine,
} from './machine-index.js';
export {
  acquireMachineSlot,
  type MachineSlotRef,
  machineSlotHolders,
  releaseMachineSlot,
  renewIntervalMs,
  renewMachineSlot,
  renewSlots,
} from './machine-slots.js';
export {
  type MachineError,
  type MachineSample,
  type MachineStatus,
  machineErrorSchema,
  machineStatusSchema,
  readMachineStatus,
  readMachineStatuses,
  recordMachineError,
  recordMachineReachable,
  recordMachineSample,
  withError,
  withReachable,
  withSample,
  writeMachineStatus,
} from './machine-status.js';
export { oldestPendingByPriority } from './oldest-pending.js';
export {
  appendOutput,
  OUTPUT_CHUNK_BYTES,
  OUTPUT_STREAM_CHUNKS,
  OUTPUT_STREAM_TTL_SECONDS,
  type OutputChunk,
  readOutputChunks,
  streamedOutputEnd,
} from './output-stream.js';
export { lastOutputChunks } from './output-tail.js';
export { putBack } from './put-back.js';
export { type LaneQueue, openTeamQueue, TeamQueues } from './queues.js';
export { addCommands, type RedisCommand, sendCommands } from './redis-command.js';
export {
  addMachine,
  createTeam,
  findMachine,
  getMachine,
  getMachineWithKey,
  getTeam,
  listMachines,
  listTeams,
  removeMachine,
  replaceMachineKey,
  selectMachines,
  updateMachine,
} from './registry.js';
export { type ActiveTask, activeTasks, runningByMachine } from './running-tasks.js';
export { runSchedule, runTaskId, type ScheduleRunOutcome } from './schedule-runs.js';
export { deleteSchedule, getSchedule, listSchedules, openScheduleQueue, putSchedule } from './schedules.js';
export { type ParkRef, parkTask, slotWaiters, waiterMemberOf, waiterScoreOf } from './slot-waiters.js';
export { createdMs, type ListCursor, newestFirst, newestTasks } from './task-listing.js';
export { jobOrigin, readTask, snapshotOf } from './task-reader.js';
export {
  type BatchStop,
  batchSemaphore,
  type ClaimedTask,
  type ClaimReply,
  type ClaimSlots,
  claimTask,
  endTry,
  machineSemaphore,
  type SlotSemaphore,
  slotMemberOf,
} from './task-transitions.js';
export {
  countTeamTasks,
  findJob,
  laneHolding,
  locateTask,
  readTeamTask,
  type TaskCounts,
  type TaskLocation,
} from './team-tasks.js';
export { countInMinute, recentThroughput, type ThroughputBucket } from './throughput.js';
export { usualDurationMs } from './usual-duration.js';
export {
  deleteVaultEntry,
  getVaultEntries,
  listVaultEntries,
  missingVaultEntries,
  putVaultEntry,
} from './vault.js';
export { coalesceWrites } from './write-coalescing.js';
