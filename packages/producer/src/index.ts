export type {
  AlertEvent,
  AlertRule,
  BatchSpecInput,
  MachineInput,
  MachinePatch,
  MachineRecord,
  PoolSpecInput,
  RetentionInput,
  RetentionPolicy,
  ScheduleSpecInput,
  ScheduleView,
  SelectorInput,
  TaskSpecInput,
  TaskStatus,
  TaskView,
  TeamRecord,
  VaultEntryInfo,
  WebhookInfo,
} from '@rediacc/core';
export type {
  AclApplyResult,
  AclShowEntry,
  AclUser,
  AuditIntegrity,
  BridgeHeartbeat,
  MachineError,
  MachineStatus,
  TeamSlots,
} from '@rediacc/queue';
export { asAccessDenied, newestFirst, redisAddress } from '@rediacc/queue';
export { Acl, type AclApplyOptions, aclApplyOptionsSchema } from './acl-api.js';
export { Alerts, type NewAlertRule, type NewWebhook } from './alerts-api.js';
export { Archive } from './archive-api.js';
export { Audit, type AuditFollowOptions, type AuditRead, type AuditReadOptions } from './audit-api.js';
export {
  type BatchEvent,
  Batches,
  type BatchSummary,
  type BatchTask,
  type BatchView,
  type CreatedBatch,
} from './batches-api.js';
export { type BridgeListOptions, Bridges } from './bridges-api.js';
export { type ClientOptions, createClient, type RediaccClient } from './client.js';
export { DashboardTokens } from './dashboard-tokens-api.js';
export { type PoolChoice, Pools } from './pool-api.js';
export { type CreatedTeam, Machines, Teams } from './registry-api.js';
export { Schedules } from './schedules-api.js';
export type { CancelOptions, CancelResult } from './task-cancel.js';
export type { CreatedTask } from './task-factory.js';
export { LIST_SORTS, type ListOptions, listOptionsSchema } from './task-list.js';
export { type RetryResult, retryRefusal } from './task-retry.js';
export type { TaskEvent } from './task-watch.js';
export { type QueueCounts, Tasks } from './tasks.js';
export { Vault } from './vault-api.js';
