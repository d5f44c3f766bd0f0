// The dashboard's options, checked once when it is built: who may see it, whether it may change
// anything, how often open pages refresh. A bad value is a ConfigError that names the option.
import { ConfigError } from '../errors';

/** Decides per request; receives Express's `req`, Koa's `ctx`, or the standalone server's IncomingMessage. */
export type RequestCheck<Req> = (req: Req) => boolean | Promise<boolean>;

export interface DashboardOptions<Req = unknown> {
  /**
   * Called with every request (page, assets, data, live updates); false answers 403. Put the
   * dashboard behind your own authentication and let this check the user's role. Default: allow
   * everyone who reaches the route.
   */
  authorize?: RequestCheck<Req>;
  /** true, or a check per request: hide every action and refuse every POST with 403. Default false. */
  readOnly?: boolean | RequestCheck<Req>;
  /** Seconds between the refreshes that open pages make when no wake-up tells them of a change. Default 3. */
  refreshInterval?: number;
  /** Called with each failure of the dashboard itself (the page only sees a generic message). Default: the TaskWorker's logger. */
  onError?: (error: unknown) => void;
  /** Tasks per list page, 10 to 500. Default 50. */
  pageSize?: number;
}

export interface ResolvedDashboardOptions<Req> {
  authorize: RequestCheck<Req> | undefined;
  readOnly: RequestCheck<Req>;
  refreshMs: number;
  onError: ((error: unknown) => void) | undefined;
  pageSize: number;
}

const KNOWN = new Set(['authorize', 'readOnly', 'refreshInterval', 'onError', 'pageSize']);

export function resolveDashboardOptions<Req>(where: string, options: DashboardOptions<Req> = {}): ResolvedDashboardOptions<Req> {
  if (typeof options !== 'object' || options === null) throw new ConfigError(`${where}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new ConfigError(`${where}: unknown option "${key}"; use ${[...KNOWN].join(', ')}`);
  }
  const { authorize, readOnly = false, refreshInterval = 3, onError, pageSize = 50 } = options;
  if (authorize !== undefined && typeof authorize !== 'function') {
    throw new ConfigError(`${where}: authorize must be a function (req) => boolean, e.g. (req) => req.user?.isAdmin === true`);
  }
  if (typeof readOnly !== 'boolean' && typeof readOnly !== 'function') {
    throw new ConfigError(`${where}: readOnly must be true, false or a function (req) => boolean`);
  }
  if (typeof refreshInterval !== 'number' || !Number.isFinite(refreshInterval) || refreshInterval < 0.5 || refreshInterval > 3600) {
    throw new ConfigError(`${where}: refreshInterval must be a number of seconds from 0.5 to 3600; got ${String(refreshInterval)}`);
  }
  if (onError !== undefined && typeof onError !== 'function') throw new ConfigError(`${where}: onError must be a function (error) => void`);
  if (!Number.isInteger(pageSize) || pageSize < 10 || pageSize > 500) {
    throw new ConfigError(`${where}: pageSize must be a whole number from 10 to 500; got ${String(pageSize)}`);
  }
  return {
    authorize,
    readOnly: typeof readOnly === 'function' ? readOnly : () => readOnly,
    refreshMs: Math.round(refreshInterval * 1000),
    onError,
    pageSize,
  };
}
