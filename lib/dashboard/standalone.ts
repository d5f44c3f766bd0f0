// The dashboard on its own HTTP server, for operators with no app to mount it in (tw-admin
// dashboard). Listens on 127.0.0.1 unless told otherwise; with a password set, every request needs
// HTTP Basic authentication.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createDashboardHandler, type DashboardTarget } from './handler';
import { lastSegment } from './http';
import type { DashboardOptions } from './options';

export interface StandaloneDashboardOptions extends DashboardOptions<IncomingMessage> {
  port?: number;
  host?: string;
  /** Require HTTP Basic authentication with this password (any user name). */
  password?: string;
}

export interface StandaloneDashboard {
  server: Server;
  /** The URL it listens on, e.g. http://127.0.0.1:8080/. */
  url: string;
  close(): Promise<void>;
}

function passwordMatches(req: IncomingMessage, password: string): boolean {
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const given = Buffer.from(decoded.slice(decoded.indexOf(':') + 1));
  const expected = Buffer.from(password);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function serveDashboard(tw: DashboardTarget, options: StandaloneDashboardOptions = {}): Promise<StandaloneDashboard> {
  const { port = 8080, host = '127.0.0.1', password, ...rest } = options;
  const handler = createDashboardHandler(tw, 'serveDashboard', rest);
  const server = createServer((req, res) => {
    if (password !== undefined && !passwordMatches(req, password)) {
      res.statusCode = 401;
      res.setHeader('WWW-Authenticate', 'Basic realm="task-worker dashboard", charset="UTF-8"');
      res.end('authentication required\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    void handler.handle({
      method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers,
      lastSegment: lastSegment(url.pathname), secure: false, parsedBody: undefined, req, res, subject: req,
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `http://${shownHost}:${bound}/`,
    close: async () => {
      handler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
