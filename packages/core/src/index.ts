export {
  aclRules,
  aclUserName,
  FLEET_ADMIN_USER,
  fleetAdminRules,
  parseAclUserName,
  ROLES,
  type Role,
  roleSchema,
} from './acl-rules.js';
export {
  AUDIT_ACTIONS,
  AUDIT_OUTCOMES,
  type AuditAction,
  type AuditEntry,
  type AuditInput,
  type AuditOutcome,
  actorSchema,
  auditEntrySchema,
  auditInputSchema,
} from './audit-entry.js';
export { DEFAULT_REDIS_URL, loadConfig, type RdcConfig } from './config.js';
export { durationSchema, parseDuration } from './duration.js';
export { ERROR_CODES, type ErrorCode, isErrorCode } from './error-codes.js';
export { isRdcError, parseReason, RdcError } from './errors.js';
export {
  assertNever,
  isTerminal,
  JOB_STATES,
  type JobState,
  jobStatesFor,
  type LifecycleSnapshot,
  type Phase,
  TASK_STATUSES,
  type TaskStatus,
  taskStatus,
} from './lifecycle.js';
export { createLogger, type Logger, type LoggerOptions, REDACT_PATHS } from './logger.js';
export { machineNameSchema, NAME_PATTERN, nameSchema, teamNameSchema } from './names.js';
export {
  CRITICAL_MAX_PRIORITY,
  jobOptionsFor,
  LANES,
  type Lane,
  laneOf,
  retriesRemaining,
  type TaskJobOptions,
} from './priority.js';
export {
  FINGERPRINT_PATTERN,
  hostKeyFingerprintSchema,
  MAX_CONCURRENT_LIMIT,
  type MachineInput,
  type MachinePatch,
  type MachineRecord,
  machineInputSchema,
  machinePatchSchema,
  machineRecordSchema,
  maxConcurrentSchema,
  type TeamRecord,
  teamRecordSchema,
} from './registry-records.js';
export {
  JOB_DATA_VERSION,
  type JobData,
  jobDataSchema,
  type Progress,
  progressSchema,
  type RunOutcome,
  type RunResult,
  runOutcomeSchema,
  runResultSchema,
  shapeOf,
} from './task-record.js';
export {
  backoffSchema,
  failureActionSchema,
  MAX_COMMAND_BYTES,
  MAX_VAULT_DATA_BYTES,
  PRIORITIES,
  type Priority,
  type TaskSpec,
  type TaskSpecInput,
  taskSpecSchema,
} from './task-spec.js';
export { type JobSnapshot, type TaskView, toTaskView } from './task-view.js';
export { formatIssues, parseInput } from './validation.js';
export { generateTeamKeyPair, open, seal, type TeamKeyPair } from './vault.js';
