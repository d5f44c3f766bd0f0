// Structured logs with pino: JSON lines; readable colored lines on a terminal when the optional
// pino-pretty is installed (it is a peer dependency: JSON is what a process manager collects).
import pino, { type Logger } from 'pino';

export type { Logger };

function prettyInstalled(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export function createLogger(level: string, pretty: boolean = Boolean(process.stdout.isTTY) && prettyInstalled()): Logger {
  if (pretty) {
    return pino({ level, base: undefined, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino({ level, base: { pid: process.pid } });
}
