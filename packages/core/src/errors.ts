// RdcError: the one error type users see. Its message names the bad value; `fix` says what to do.
// Errors cross processes (bridge → job failure reason → CLI) as "CODE: message", so the code survives.
import { ERROR_CODES, type ErrorCode, isErrorCode } from './error-codes.js';

export class RdcError extends Error {
  readonly code: ErrorCode;
  readonly fix: string;
  /** Whether a retry could help: false for errors that would fail the same way again. */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RdcError';
    this.code = code;
    this.fix = ERROR_CODES[code].fix;
    this.retryable = options.retryable ?? false;
  }

  get exitCode(): 1 | 2 {
    return ERROR_CODES[this.code].exit;
  }

  /** The form stored as a BullMQ failure reason. */
  toReason(): string {
    return `${this.code}: ${this.message}`;
  }
}

export function isRdcError(error: unknown): error is RdcError {
  return error instanceof RdcError;
}

/** Failure reasons BullMQ writes itself (not through a processor), read as the rediacc error they mean. */
const BULLMQ_REASONS: ReadonlyArray<{ pattern: RegExp; code: ErrorCode; message: string }> = [
  {
    pattern: /^job stalled more than allowable limit$/,
    code: 'RDC_BRIDGE_LOST',
    message:
      'bridge lost during execution too many times: the bridges holding the task stopped renewing its lock (crashed, frozen or overloaded) more often than maxStalledCount allows',
  },
];

/** Reads a stored failure reason back into its code and message. */
export function parseReason(reason: string): { code: ErrorCode | undefined; message: string } {
  const match = /^(RDC_[A-Z_]+): ([\s\S]*)$/.exec(reason);
  if (match?.[1] && match[2] !== undefined && isErrorCode(match[1])) return { code: match[1], message: match[2] };
  const known = BULLMQ_REASONS.find((r) => r.pattern.test(reason));
  if (known) return { code: known.code, message: known.message };
  return { code: undefined, message: reason };
}
