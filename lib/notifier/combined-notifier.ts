// Publishes to every notifier and listens on all of them: in-process delivery is immediate, Redis
// reaches the other processes. A listener may hear one event twice; every listener is idempotent.
import type { Notifier, TaskChannel, TaskEvent, TaskListener } from './notifier';

export class CombinedNotifier implements Notifier {
  constructor(private readonly notifiers: readonly Notifier[]) {}

  publish(channel: TaskChannel, event: TaskEvent): void {
    for (const notifier of this.notifiers) notifier.publish(channel, event);
  }

  async subscribe(channel: TaskChannel, listener: TaskListener): Promise<() => void> {
    const removers = await Promise.all(this.notifiers.map((n) => n.subscribe(channel, listener)));
    return () => removers.forEach((remove) => remove());
  }

  live(): boolean {
    return this.notifiers.some((n) => n.live());
  }

  async close(): Promise<void> {
    await Promise.all(this.notifiers.map((n) => n.close()));
  }
}
