// What a view is: something drawn into <main> from a route, refreshed in place by live updates
// (a `change` naming tasks and queues, or a periodic tick), and destroyed when the route changes.
import type { ChangeEventJson, PageConfig } from '../api-types.js';
import type { Route } from '../router.js';

export interface ViewContext {
  config: PageConfig;
}

export interface View {
  title: string;
  /** Fetches again and redraws what changed; never blanks the page meanwhile. */
  refresh(reason: ChangeEventJson | 'tick'): void;
  destroy(): void;
}

export type ViewFactory = (main: HTMLElement, route: Route, context: ViewContext) => View;

/**
 * Runs `load` one at a time: a refresh asked for while one runs is done once after it, and
 * nothing is drawn after the view is destroyed. Failures are drawn by `failed`.
 */
export class Loader<T> {
  private running = false;
  private again = false;
  private dead = false;
  private last = '';

  /** `key` says what of the data the page shows (default: all of it); equal keys are not redrawn. */
  constructor(private readonly load: () => Promise<T>, private readonly draw: (data: T) => void, private readonly failed: (error: unknown) => void,
    private readonly key: (data: T) => unknown = (data) => data) {}

  run(): void {
    if (this.dead) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.load().then((data) => {
      // Redraw only when the data changed: a tick that finds nothing new leaves the page alone
      // (the text someone is selecting stays selected).
      const text = JSON.stringify(this.key(data));
      if (!this.dead && text !== this.last) {
        this.last = text;
        this.draw(data);
      }
    }, (error: unknown) => {
      if (!this.dead) this.failed(error);
    }).finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.run();
      }
    });
  }

  /** The next load redraws even if nothing changed (after an action). */
  invalidate(): void {
    this.last = '';
  }

  stop(): void {
    this.dead = true;
  }
}

/**
 * A view whose page is one fetch, refetched on every change and tick (the queues, the schedules):
 * at most once a second, the last call of a burst included (later, once), so a burst stays calm.
 */
export function refetchingView(title: string, loader: { run(): void; stop(): void }, ms = 1000): View {
  let last = 0;
  let trailing: number | undefined;
  const run = () => {
    last = Date.now();
    loader.run();
  };
  return {
    title,
    refresh() {
      const wait = last + ms - Date.now();
      if (wait <= 0) run();
      else trailing ??= window.setTimeout(() => {
        trailing = undefined;
        run();
      }, wait);
    },
    destroy() {
      clearTimeout(trailing);
      loader.stop();
    },
  };
}
