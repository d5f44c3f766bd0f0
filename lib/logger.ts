// Structured logs with pino: JSON lines, or readable colored lines on a terminal (pino-pretty).
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, pretty: boolean = Boolean(process.stdout.isTTY)): Logger {
  if (pretty) {
    return pino({ level, base: undefined, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino({ level, base: { pid: process.pid } });
}
