// The dashboard's static files, read once into memory when the dashboard is built: the browser
// modules compiled into client/ (by the second tsc pass of the build), the stylesheet and the icon.
// Nothing comes from a CDN: the page works offline. Served with an ETag, revalidated on each load.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { FAVICON_SVG } from './page';
import { DASHBOARD_CSS } from './styles';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function asset(body: string | Buffer, type: string): Asset {
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return { body: buffer, type, etag: `"${createHash('sha256').update(buffer).digest('base64url').slice(0, 22)}"` };
}

/** Every .js file under `dir`, keyed by its path relative to it ('main.js', 'views/tasks.js'). */
function scripts(dir: string, prefix = ''): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) found.push(...scripts(full, `${prefix}${entry}/`));
    else if (entry.endsWith('.js')) found.push([`${prefix}${entry}`, full]);
  }
  return found;
}

const CLIENT_DIR = path.join(__dirname, 'client');
let loaded: Map<string, Asset> | undefined;

/** The assets by their path under ./assets/; throws when the browser code was not built. */
export function dashboardAssets(): Map<string, Asset> {
  if (loaded) return loaded;
  const clientDir = CLIENT_DIR;
  if (!existsSync(path.join(clientDir, 'main.js'))) {
    throw new ConfigError(`the dashboard's browser code is missing from ${clientDir}: the package was built without it ` +
      '(`npm run build` compiles it with lib/dashboard/client/tsconfig.json)');
  }
  const assets = new Map<string, Asset>();
  for (const [name, file] of scripts(clientDir)) assets.set(name, asset(readFileSync(file), 'text/javascript; charset=utf-8'));
  assets.set('dashboard.css', asset(DASHBOARD_CSS, 'text/css; charset=utf-8'));
  assets.set('icon.svg', asset(FAVICON_SVG, 'image/svg+xml'));
  loaded = assets;
  return assets;
}
