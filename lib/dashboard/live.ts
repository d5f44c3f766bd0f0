// Live updates for open pages (server-sent events on ./api/events): the wake-ups the TaskWorker
// hears (created, finished, requeued, failed: in this process, and from every process with Redis)
// are gathered for a moment and sent as one `change` event naming the tasks and queues; a `tick`
// every refresh interval covers what no wake-up reports (claims, heartbeats, other processes
// without Redis) and keeps proxies from closing an idle stream. Subscribed only while a page is open.
import type { ServerResponse } from 'node:http';
import { TASK_CHANNELS, type Notifier, type TaskEvent } from '../notifier/notifier';
import type { ChangeEventJson } from './client/api-types';
import { setSecurityHeaders } from './security';

/** Wake-ups are gathered this long before an event is sent: a burst of finishes is one refresh. */
const GATHER_MS = 250;
/** At most this many ids per event: beyond, pages refresh whatever they show. */
const MAX_IDS = 200;

export class LiveHub {
  private readonly clients = new Set<ServerResponse>();
  private unsubscribers: Promise<Array<() => void>> | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private gatherTimer: NodeJS.Timeout | undefined;
  private ids = new Set<string>();
  private queues = new Set<string>();

  constructor(private readonly notifier: Notifier, private readonly refreshMs: number) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** Turns the response into an event stream until the browser goes away. */
  open(res: ServerResponse): void {
    setSecurityHeaders(res);
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store, no-transform');
    res.setHeader('X-Accel-Buffering', 'no'); // nginx: do not buffer the stream
    res.flushHeaders();
    this.clients.add(res);
    res.on('close', () => this.drop(res));
    this.write(res, `retry: ${Math.max(1000, this.refreshMs)}\nevent: tick\ndata: {}\n\n`);
    if (this.clients.size === 1) this.start();
  }

  /** Ends every stream (the app is stopping). */
  close(): void {
    for (const res of this.clients) res.end();
    this.clients.clear();
    this.stop();
  }

  private start(): void {
    this.ticker = setInterval(() => this.broadcast('event: tick\ndata: {}\n\n'), this.refreshMs);
    this.ticker.unref();
    const listener = (event: TaskEvent) => this.gather(event);
    this.unsubscribers = Promise.all(TASK_CHANNELS.map((channel) => this.notifier.subscribe(channel, listener)));
    this.unsubscribers.catch(() => undefined); // no wake-ups: the ticks still refresh the pages
  }

  private stop(): void {
    clearInterval(this.ticker);
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    const unsubscribers = this.unsubscribers;
    this.unsubscribers = undefined;
    void unsubscribers?.then((list) => list.forEach((unsubscribe) => unsubscribe()), () => undefined);
  }

  private drop(res: ServerResponse): void {
    if (this.clients.delete(res) && this.clients.size === 0) this.stop();
  }

  private gather(event: TaskEvent): void {
    for (const id of event.ids ?? [event.id]) if (this.ids.size < MAX_IDS) this.ids.add(id);
    if (event.queue !== undefined) this.queues.add(event.queue);
    this.gatherTimer ??= setTimeout(() => {
      this.gatherTimer = undefined;
      const change: ChangeEventJson = { ids: [...this.ids], queues: [...this.queues] };
      this.ids = new Set();
      this.queues = new Set();
      this.broadcast(`event: change\ndata: ${JSON.stringify(change)}\n\n`);
    }, GATHER_MS);
  }

  private broadcast(text: string): void {
    for (const res of this.clients) this.write(res, text);
  }

  private write(res: ServerResponse, text: string): void {
    res.write(text);
    // Behind compression middleware (Express's compression()), push the event out now.
    (res as ServerResponse & { flush?: () => void }).flush?.();
  }
}
