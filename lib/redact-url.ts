// One redaction for every connection URL that is printed (config errors, logs, the sample's banner,
// the CLIs): the password never shows, whatever the form. The URL is parsed the way pg and ioredis
// parse it (WHATWG: the userinfo ends at the last '@' before the first '/', '?' or '#'); when that
// fails, or leaves an '@' after the host (a password holding '/', '?' or '#'), everything between
// the scheme and the last '@' is hidden. Password-like query parameters are hidden too.

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const SECRET_PARAM = /([?&](?:password|pass|pwd|sslpassword|auth|secret|token)=)[^&#]*/gi;

function hideParams(text: string): string {
  return text.replace(SECRET_PARAM, '$1***');
}

/** The URL by the drivers' own rule, or null when that rule does not account for every '@'. */
function byParsing(url: string, scheme: string): string | null {
  if (!url.startsWith('//', scheme.length)) return null;
  try {
    if (new URL(url).host === '') return null;
  } catch {
    return null;
  }
  const start = scheme.length + 2;
  const end = url.slice(start).search(/[/?#]/);
  const authorityEnd = end === -1 ? url.length : start + end;
  const rest = url.slice(authorityEnd);
  if (rest.includes('@')) return null;
  const authority = url.slice(start, authorityEnd);
  const at = authority.lastIndexOf('@');
  if (at === -1) return url.slice(0, start) + authority + hideParams(rest);
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  const shown = colon === -1 ? userinfo : `${userinfo.slice(0, colon)}:***`;
  return `${url.slice(0, start)}${shown}@${authority.slice(at + 1)}${hideParams(rest)}`;
}

/** `url` with its password (and password-like query parameters) replaced by ***, for logs and errors. */
export function redactUrl(url: string): string {
  if (typeof url !== 'string') return String(url);
  const scheme = SCHEME.exec(url)?.[0] ?? '';
  // A SQLite URL is a file path: it carries no credentials, and a path may hold an '@'.
  if (scheme.toLowerCase() === 'sqlite:') return url;
  const parsed = scheme ? byParsing(url, scheme) : null;
  if (parsed !== null) return parsed;
  const at = url.lastIndexOf('@');
  if (at < scheme.length) return hideParams(url);
  const slashes = /^\/*/.exec(url.slice(scheme.length))![0];
  return `${scheme}${slashes}***@${hideParams(url.slice(at + 1))}`;
}
