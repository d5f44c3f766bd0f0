// In-process notifications: a worker in the same process as the client wakes at once, with or
// without Redis.
import { EventEmitter } from 'node:events';
import type { Notifier, TaskChannel, TaskEvent, TaskListener } from './notifier';

export class MemoryNotifier implements Notifier {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(channel: TaskChannel, event: TaskEvent): void {
    // Listeners run after the caller's current step, like a message from outside would.
    queueMicrotask(() => this.emitter.emit(channel, event));
  }

  async subscribe(channel: TaskChannel, listener: TaskListener): Promise<() => void> {
    this.emitter.on(channel, listener);
    return () => this.emitter.off(channel, listener);
  }

  /** Hears this process only. */
  live(): boolean {
    return false;
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
