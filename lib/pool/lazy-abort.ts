// An AbortController made only when a handler reads its signal. Most handlers never do, and an
// AbortController with its signal per task was the largest single cost of running a short task
// inline (3 % of the worker's CPU in a no-op drain). Aborting before the signal exists is kept
// and applied when the signal is first read.
export class LazyAbortController {
  private controller: AbortController | undefined;
  private reason: unknown;
  private aborted = false;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}
