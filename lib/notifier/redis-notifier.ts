// Redis pub/sub notifications across processes. One JSON message per event on '<prefix>:<channel>'.
// ioredis re-subscribes after a reconnect; nothing is queued while Redis is down.
import type { Logger } from 'pino';
import { RedisConnection, type RedisSettings } from '../redis';
import { TASK_CHANNELS, type Notifier, type TaskChannel, type TaskEvent, type TaskListener } from './notifier';

/** Longest wait for a SUBSCRIBE acknowledgement before relying on polling. */
const SUBSCRIBE_WAIT_MS = 1000;

export class RedisNotifier implements Notifier {
  private readonly listeners = new Map<TaskChannel, Set<TaskListener>>();
  private readonly subscribed = new Map<TaskChannel, Promise<void>>();
  private subscriber: RedisConnection | undefined;

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
      let event: TaskEvent;
      try {
        event = JSON.parse(text) as TaskEvent;
      } catch {
        return;
      }
      // Anyone who can publish on the server reaches us: a message that is not an event is dropped.
      if (typeof event !== 'object' || event === null || typeof event.id !== 'string') return;
      for (const listener of this.listeners.get(channel) ?? []) listener(event);
    });
    this.subscriber = connection;
    return connection;
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

  async close(): Promise<void> {
    this.listeners.clear();
    await this.subscriber?.close();
  }
}
