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
}

export function createLogger({ name, level = 'info', destination }: LoggerOptions): Logger {
  const options = { name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options, pino.destination(2));
}
