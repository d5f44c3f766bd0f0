// Talking to the dashboard's server: relative URLs (so any mount point and proxy prefix work),
// JSON both ways, the CSRF token on every POST, and errors as ApiError with the server's message.
import type { ErrorJson } from './api-types.js';

let csrfToken = '';

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function answer<T>(response: Response): Promise<T> {
  const type = response.headers.get('content-type') ?? '';
  const body: unknown = type.includes('application/json') ? await response.json() : { error: { code: `HTTP_${response.status}`, message: await response.text() } };
  if (!response.ok) {
    const error = (body as ErrorJson).error ?? { code: `HTTP_${response.status}`, message: response.statusText };
    throw new ApiError(response.status, error.code, error.message || `the server answered ${response.status}`);
  }
  return body as T;
}

export type Params = Record<string, string | number | undefined | null>;

export function query(params: Params): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export async function getJson<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  const response = await fetch(`${path}${query(params)}`, { headers: { accept: 'application/json' }, credentials: 'same-origin', signal });
  return answer<T>(response);
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { accept: 'application/json', 'content-type': 'application/json', 'x-tw-csrf': csrfToken },
    body: JSON.stringify(body),
  });
  return answer<T>(response);
}
