// Redis pub/sub notifications across processes. One JSON message per event on '<prefix>:<channel>'.
// ioredis re-subscribes after a reconnect; nothing is queued while Redis is down.
import type { Logger } from 'pino';
import { RedisConnection, type RedisSettings } from '../redis';
import { readEvent } from './event-shape';
import { TASK_CHANNELS, type Notifier, type TaskChannel, type TaskEvent, type TaskListener } from './notifier';

/** Longest wait for a SUBSCRIBE acknowledgement before relying on polling. */
const SUBSCRIBE_WAIT_MS = 1000;

export class RedisNotifier implements Notifier {
  private readonly listeners = new Map<TaskChannel, Set<TaskListener>>();
  private readonly subscribed = new Map<TaskChannel, Promise<void>>();
  private subscriber: RedisConnection | undefined;
  private refused = 0;

  constructor(
    private readonly settings: RedisSettings,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly publisher: RedisConnection,
  ) {}

  private channelName(channel: TaskChannel): string {
    return `${this.prefix}:${channel}`;
  }

  publish(channel: TaskChannel, event: TaskEvent): void {
    if (!this.publisher.ready) return;
    this.publisher.client.publish(this.channelName(channel), JSON.stringify(event)).catch(() => undefined);
  }

  private ensureSubscriber(): RedisConnection {
    if (this.subscriber) return this.subscriber;
    // A subscribing connection may queue its SUBSCRIBE until connected; it carries no data.
    const connection = new RedisConnection(this.settings, 'subscriber', this.logger, { enableOfflineQueue: true, maxRetriesPerRequest: null });
    connection.client.on('message', (channelName: string, text: string) => {
      const channel = TASK_CHANNELS.find((c) => this.channelName(c) === channelName);
      if (!channel) return;
      const event = readEvent(String(text));
      if (typeof event === 'string') {
        this.refuse(channelName, event);
        return;
      }
      for (const listener of this.listeners.get(channel) ?? []) {
        // A listener's throw must not escape into the Redis client: it would end the process.
        try {
          listener(event);
        } catch (error) {
          this.logger.warn({ err: (error as Error)?.message ?? String(error), channel: channelName }, 'a notification listener threw; ignored');
        }
      }
    });
    this.subscriber = connection;
    return connection;
  }

  /** Logs the first refused message at debug (the next ones are counted only): a flood must not flood the log. */
  private refuse(channelName: string, reason: string): void {
    this.refused++;
    if (this.refused === 1) this.logger.debug({ channel: channelName, reason }, 'ignored a malformed message on a notification channel (later ones are not logged)');
  }

  async subscribe(channel: TaskChannel, listener: TaskListener): Promise<() => void> {
    const connection = this.ensureSubscriber();
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      this.subscribed.set(channel, connection.client.subscribe(this.channelName(channel)).then(() => undefined, () => undefined));
    }
    set.add(listener);
    // Wait for the SUBSCRIBE to be acknowledged, but not on a Redis known to be down: callers poll.
    const status = connection.client.status;
    if (status !== 'reconnecting' && status !== 'end' && status !== 'close') {
      let timer: NodeJS.Timeout | undefined;
      const cap = new Promise<void>((resolve) => { timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS); });
      await Promise.race([this.subscribed.get(channel), cap]);
      clearTimeout(timer);
    }
    return () => {
      set!.delete(listener);
    };
  }

  /** The subscriber connection is up (it re-subscribes just after; a message in that instant is left to the slow poll). */
  live(): boolean {
    return this.subscriber?.client.status === 'ready';
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.subscriber?.close();
  }
}
