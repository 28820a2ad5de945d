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
  ALERT_KINDS,
  ALERT_RULE_KINDS,
  type AlertEvent,
  type AlertKind,
  type AlertRule,
  type AlertRuleKind,
  alertEventSchema,
  alertForSchema,
  alertRuleIdSchema,
  alertRuleSchema,
  isPlaintextWebhook,
  type PlaintextWebhookRecord,
  plaintextWebhookRecordSchema,
  type StoredWebhook,
  storedWebhookSchema,
  thresholdSchema,
  type WebhookInfo,
  type WebhookRecord,
  webhookIdSchema,
  webhookRecordSchema,
  webhookSecretSchema,
  webhookUrlHint,
  webhookUrlSchema,
} from './alert-config.js';
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
export {
  DASHBOARD_ROLES,
  type DashboardPrincipal,
  type DashboardRole,
  type DashboardToken,
  dashboardRoleSchema,
  dashboardTokenSchema,
  formatToken,
  roleAtLeast,
  tokenIdOf,
  tokenIdSchema,
} from './dashboard-token.js';
export { durationSchema, parseDuration } from './duration.js';
export { ERROR_CODES, type ErrorCode, isErrorCode } from './error-codes.js';
export { isRdcError, parseReason, RdcError } from './errors.js';
export {
  ALERT_DELIVERY_QUEUE,
  dashboardKeys,
  FLEET_WEBHOOKS_KEY,
  KEY_ROOT,
  LANE_QUEUES,
  queueNameFor,
  registryKeys,
  taskKey,
  teamOfKey,
  teamPrefix,
} from './keys.js';
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
export {
  isProcessAlive,
  type LocalStack,
  localStackPath,
  localStackSchema,
  readLocalStack,
} from './local-stack-file.js';
export { createLogger, type Logger, type LoggerOptions, REDACT_PATHS } from './logger.js';
export { machineNameSchema, NAME_PATTERN, nameSchema, teamNameSchema } from './names.js';
export { MASK, type MaskedPart, MIN_MASKED_BYTES, OutputMasker } from './output-masker.js';
export {
  CAPPED_EXPONENTIAL,
  CRITICAL_MAX_PRIORITY,
  DEFAULT_MAX_RETRY_DELAY_SECONDS,
  exponentialDelayMs,
  jobOptionsFor,
  LANES,
  type Lane,
  laneOf,
  RETRY_JITTER,
  retriesRemaining,
  type TaskJobOptions,
} from './priority.js';
export {
  authorizedKeysFileSchema,
  DEFAULT_AUTHORIZED_KEYS_FILE,
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
export { checkPrivateKey, MAX_PRIVATE_KEY_BYTES, type PrivateKeyInfo } from './ssh-private-key.js';
export {
  FINISHED_TASK_RETENTION,
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
  commandSchema,
  failureActionSchema,
  MAX_COMMAND_BYTES,
  MAX_VAULT_DATA_BYTES,
  PRIORITIES,
  type Priority,
  type TaskSpec,
  type TaskSpecInput,
  taskIdSchema,
  taskSpecSchema,
  vaultDataSchema,
} from './task-spec.js';
export { type JobSnapshot, type TaskView, toTaskView } from './task-view.js';
export { formatIssues, parseInput } from './validation.js';
export { generateTeamKeyPair, open, publicKeyOf, seal, type TeamKeyPair } from './vault.js';
export {
  MAX_SECRET_BYTES,
  MAX_TASK_SECRETS,
  SECRET_NAME_PATTERN,
  type SecretRef,
  SSH_KEY_PREFIX,
  secretNameSchema,
  secretRefSchema,
  secretRefsSchema,
  secretValueSchema,
  sshKeyEntry,
  type VaultEntryInfo,
  type VaultKind,
  type VaultRecord,
  vaultEntryNameSchema,
  vaultKindSchema,
  vaultRecordSchema,
} from './vault-records.js';
