// Redis connections for notifications and locks: URL and password read as the seed reads them
// (REDIS_PASSWORD wins over the URL's), rediss:// for TLS, endless reconnects with a capped backoff,
// and one warning per outage plus one line on recovery. Closing never waits on an absent server.
import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { redactUrl } from './config';

export interface RedisSettings {
  url: string;
  password: string | undefined;
}

/** The longest close() waits for a polite QUIT on a live connection before cutting it. */
export const REDIS_QUIT_WAIT_MS = 1000;

export class RedisConnection {
  readonly client: Redis;
  private down = false;

  constructor(settings: RedisSettings, readonly role: string, logger: Logger, extra: RedisOptions = {}) {
    const options: RedisOptions = {
      // Commands fail at once while disconnected instead of queueing: Redis is only a hint.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // Reconnect attempts are cheap; a short cap brings pub/sub back soon after Redis returns.
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      lazyConnect: false,
      ...extra,
    };
    if (settings.password !== undefined) options.password = settings.password;
    this.client = new Redis(settings.url, options);
    const where = redactUrl(settings.url);
    const markDown = (reason: string) => {
      if (this.down) return;
      this.down = true;
      logger.warn({ redis: where, role, err: reason }, 'Redis unavailable: polling the database until it is back');
    };
    let lastError = 'connection closed';
    // A command error on a live connection (e.g. OOM) is not an outage; a refused or dropped one is.
    this.client.on('error', (error: Error) => {
      lastError = error.message;
      if (this.client.status !== 'ready') markDown(error.message);
    });
    // A server that shuts down cleanly closes the socket without an error event.
    this.client.on('close', () => markDown(lastError));
    this.client.on('ready', () => {
      lastError = 'connection closed';
      if (!this.down) return;
      this.down = false;
      logger.info({ redis: where, role }, 'Redis connection restored');
    });
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * QUIT when the connection is ready (bounded: a server that stalls does not hold the process),
   * else disconnect at once: ioredis's quit() on a connection that is connecting or reconnecting
   * waits for a server that may never come, and never settles.
   */
  async close(): Promise<void> {
    this.client.removeAllListeners('close');
    this.client.removeAllListeners('error');
    this.client.on('error', () => undefined);
    if (this.client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, REDIS_QUIT_WAIT_MS)));
      await Promise.race([this.client.quit().catch(() => undefined), timedOut]);
      clearTimeout(timer);
    }
    // Also stops reconnecting; a no-op after a completed QUIT.
    this.client.disconnect();
  }
}
