import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log line. Secrets should never be logged in the first
 * place; this is the net under that rule, for request headers and for config or error objects.
 */
export const redactedPaths: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-twilio-signature"]',
  'headers.authorization',
  'headers["x-twilio-signature"]',
  '*.authToken',
  '*.authTokens',
  '*.password',
  '*.secret',
  '*.secretKey',
  '*.apiKeySecret',
  'authToken',
  'authTokens',
  'password',
  'secret',
  'secretKey',
];

export interface LoggerSettings {
  /** The app or component, on every line. */
  name: string;
  level?: LoggerOptions['level'];
  /** For tests: where lines go instead of stdout. */
  destination?: DestinationStream;
}

export function createLogger({ name, level = 'info', destination }: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name,
    level,
    redact: { paths: [...redactedPaths], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
