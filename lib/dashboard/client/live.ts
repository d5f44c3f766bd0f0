// The live-update stream (server-sent events): `change` names tasks and queues that moved, `tick`
// comes every refresh interval. The browser reconnects by itself; the header shows the state.
import type { ChangeEventJson } from './api-types.js';

export interface LiveHandlers {
  change(event: ChangeEventJson): void;
  tick(): void;
  connected(on: boolean): void;
}

export function connectLive(handlers: LiveHandlers): () => void {
  const source = new EventSource('api/events');
  source.addEventListener('open', () => handlers.connected(true));
  source.addEventListener('error', () => handlers.connected(false));
  source.addEventListener('tick', () => handlers.tick());
  source.addEventListener('change', (event) => {
    try {
      handlers.change(JSON.parse((event as MessageEvent<string>).data) as ChangeEventJson);
    } catch {
      handlers.tick();
    }
  });
  return () => source.close();
}
