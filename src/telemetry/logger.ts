/**
 * Structured JSON logs through pino. One root logger is built in main.ts and
 * passed down; modules take a child with their own bindings.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env['FLEETGATE_LOG_LEVEL'] ?? 'info';
  const settings = {
    level,
    base: { service: 'fleetgate' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Tokens and auth headers never reach a log line, whatever logs a request.
    redact: {
      paths: [
        'token',
        '*.token',
        'authorization',
        '*.authorization',
        'headers.authorization',
        'req.headers.authorization',
      ],
      censor: '[redacted]',
    },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return options.destination === undefined
    ? pino(settings)
    : pino(settings, options.destination);
}

/** A logger that discards everything (tests, benches). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
