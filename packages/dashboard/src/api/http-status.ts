// The HTTP status of each error code the dashboard answers with; anything not listed is the server's fault.
import type { ErrorCode, RdcError } from '@rediacc/core';

const STATUS: Partial<Record<ErrorCode, number>> = {
  RDC_UNAUTHENTICATED: 401,
  RDC_FORBIDDEN: 403,
  RDC_ACCESS_DENIED: 403,
  RDC_CSRF: 403,
  RDC_TASK_UNKNOWN: 404,
  RDC_TEAM_UNKNOWN: 404,
  RDC_MACHINE_UNKNOWN: 404,
  RDC_TASK_NOT_RETRYABLE: 409,
  RDC_STREAM_LIMIT: 429,
  RDC_REDIS_UNAVAILABLE: 503,
};

export function statusOf(error: RdcError): number {
  return STATUS[error.code] ?? (error.exitCode === 2 ? 400 : 500);
}
