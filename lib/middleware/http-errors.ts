// Maps the client's errors to HTTP errors an app can handle (status, statusCode, expose, as the
// http-errors convention that Express and Koa read), and builds the JSON body of an error response
// without ever showing a stack unless the app opts in.
import { TaskWorkerError, UnknownTaskError } from '../errors';

/** An error with an HTTP status; `expose: true` means its message is safe to show the client. */
export class TaskHttpError extends TaskWorkerError {
  readonly statusCode: number;
  readonly expose: boolean;

  constructor(readonly status: number, code: string, message: string, options: { cause?: unknown; expose?: boolean } = {}) {
    super(code, message);
    this.statusCode = status;
    this.expose = options.expose ?? status < 500;
    if (options.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false });
  }
}

const CLIENT_ERRORS: Record<string, number> = {
  TW_INVALID_INPUT: 400,
  TW_UNKNOWN_TASK: 400,
  TW_NOT_FOUND: 404,
};

/**
 * A TaskHttpError for the client's input errors (bad arguments 400, unknown task 400, no such
 * task 404); any other error is returned unchanged, for the app's own 500 handling.
 */
export function toHttpError(error: unknown): unknown {
  if (error instanceof TaskHttpError || !(error instanceof TaskWorkerError)) return error;
  const status = CLIENT_ERRORS[error.code];
  if (status === undefined) return error;
  // The unknown-task hint lists registered names and how to register them: for developers, not clients.
  const message = error instanceof UnknownTaskError ? `unknown task "${error.taskName}"` : error.message;
  return new TaskHttpError(status, error.code, message, { cause: error });
}

export interface ErrorBodyOptions {
  /** Add the stack to the JSON body (development only). Default false. */
  exposeStack?: boolean;
}

export interface ErrorResponse {
  status: number;
  body: { error: { code: string; message: string; stack?: string } };
}

interface HttpLike {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  code?: unknown;
  message?: unknown;
  stack?: unknown;
}

function statusOf(error: HttpLike): number {
  const status = typeof error.status === 'number' ? error.status : error.statusCode;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500;
}

/**
 * The status and JSON body for any thrown value: a client error (4xx with `expose` not false, as
 * http-errors and body parsers make them) shows its code and message; anything else is a 500 with
 * a generic message, so internals never reach the client.
 */
export function errorResponse(thrown: unknown, options: ErrorBodyOptions = {}): ErrorResponse {
  const error = toHttpError(thrown);
  const e: HttpLike = typeof error === 'object' && error !== null ? (error as HttpLike) : {};
  const status = statusOf(e);
  const exposed = status < 500 && e.expose !== false;
  const code = exposed && typeof e.code === 'string' ? e.code : exposed ? `HTTP_${status}` : 'INTERNAL_ERROR';
  const message = exposed && typeof e.message === 'string' ? e.message : 'internal server error';
  const body: ErrorResponse['body'] = { error: { code, message } };
  if (options.exposeStack) {
    body.error.message = typeof e.message === 'string' ? e.message : String(error);
    if (typeof e.stack === 'string') body.error.stack = e.stack;
  }
  return { status, body };
}
