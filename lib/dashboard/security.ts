// The dashboard's defences: the headers of every response (a Content-Security-Policy that allows
// only the dashboard's own script and style files, no framing, no sniffing), and the CSRF check of
// state-changing requests: a random token in an HttpOnly, SameSite=Strict cookie, repeated by the
// page in a header (double submit), and no cross-site Sec-Fetch-Site.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

export const CSRF_COOKIE = 'tw_dashboard_csrf';
export const CSRF_HEADER = 'x-tw-csrf';

/** No inline script or style anywhere: the page loads ./assets/*.js and ./assets/dashboard.css only. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function cookies(headers: IncomingHttpHeaders): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) jar.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return jar;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The browser's token: the one in its cookie, or a new one set now. The cookie has no Path: the
 * browser scopes it to the dashboard's own folder, wherever it is mounted or proxied.
 */
export function csrfToken(headers: IncomingHttpHeaders, res: ServerResponse, secure: boolean): string {
  const existing = cookies(headers).get(CSRF_COOKIE);
  if (existing && TOKEN_PATTERN.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  res.appendHeader('Set-Cookie', `${CSRF_COOKIE}=${token}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`);
  return token;
}

/** Why a state-changing request must be refused, or null when it carries this browser's token from a same-origin page. */
export function csrfProblem(headers: IncomingHttpHeaders): string | null {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return `a ${site} request cannot change tasks`;
  const cookie = cookies(headers).get(CSRF_COOKIE);
  const sent = headers[CSRF_HEADER];
  if (!cookie || typeof sent !== 'string') return 'the CSRF token is missing: reload the dashboard page';
  const a = Buffer.from(cookie);
  const b = Buffer.from(sent);
  if (a.length !== b.length || !timingSafeEqual(a, b)) return 'the CSRF token does not match: reload the dashboard page';
  return null;
}
