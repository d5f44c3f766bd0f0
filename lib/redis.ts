// Redis connections for notifications and locks: URL and password read as the seed reads them
// (REDIS_PASSWORD wins over the URL's), rediss:// for TLS, endless reconnects with a capped backoff,
// and one warning per outage plus one line on recovery.
import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { redactUrl } from './config';

export interface RedisSettings {
  url: string;
  password: string | undefined;
}

export class RedisConnection {
  readonly client: Redis;
  private down = false;

  constructor(settings: RedisSettings, readonly role: string, logger: Logger, extra: RedisOptions = {}) {
    const options: RedisOptions = {
      // Commands fail at once while disconnected instead of queueing: Redis is only a hint.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
      lazyConnect: false,
      ...extra,
    };
    if (settings.password !== undefined) options.password = settings.password;
    this.client = new Redis(settings.url, options);
    const where = redactUrl(settings.url);
    this.client.on('error', (error: Error) => {
      if (this.down) return;
      this.down = true;
      logger.warn({ redis: where, role, err: error.message }, 'Redis unavailable: polling the database until it is back');
    });
    this.client.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      logger.info({ redis: where, role }, 'Redis connection restored');
    });
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  async close(): Promise<void> {
    this.client.removeAllListeners('error');
    this.client.on('error', () => undefined);
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
