// Routes live in the URL's fragment ('#/tasks?status=FAILED', '#/tasks/<id>'): the server serves one
// page at one relative address, so navigation needs no server and survives any prefix.
import { query, type Params } from './api.js';

export interface Route {
  view: string;
  /** The path segment after the view, e.g. a task id. */
  id?: string;
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const at = hash.indexOf('?');
  const path = at === -1 ? hash : hash.slice(0, at);
  const params = new URLSearchParams(at === -1 ? '' : hash.slice(at + 1));
  const [view, id] = path.split('/').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { view: view || 'queues', id: id || undefined, params };
}

export function href(view: string, params: Params = {}, id?: string): string {
  return `#/${view}${id ? `/${encodeURIComponent(id)}` : ''}${query(params)}`;
}
