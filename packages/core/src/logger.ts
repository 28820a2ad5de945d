// pino logger factory. Redaction paths are compiled once here, so every logger in every process
// hides the same secrets by path (pino's redaction is a backstop: secrets should never be logged at all).
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'vaultData',
  '*.vaultData',
  'vault',
  '*.vault',
  'secrets',
  '*.secrets',
  'secretKey',
  '*.secretKey',
  'privateKey',
  '*.privateKey',
  'password',
  '*.password',
  'env',
  '*.env',
  'teamKeys',
  '*.teamKeys',
];

export interface LoggerOptions {
  name: string;
  level?: string;
  destination?: DestinationStream;
  /** Append to this file (created with its folder, readable by its owner only) instead of stderr. */
  file?: string;
}

export function createLogger({ name, level = 'info', destination, file }: LoggerOptions): Logger {
  const options = { name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (destination) return pino(options, destination);
  return pino(
    options,
    file ? pino.destination({ dest: file, mkdir: true, append: true, mode: 0o600 }) : pino.destination(2),
  );
}
