// The HTTP error mapping (lib/middleware/http-errors.ts): the client's input errors become 4xx
// errors with their code and message, everything else stays the app's 500, and a response body
// never shows internals (message, stack) unless the app asks for them.
import { expect } from 'chai';
import { ConfigError, TaskWorkerError, UnknownTaskError, ValidationError } from '../../lib/errors';
import { errorResponse, TaskHttpError, toHttpError } from '../../lib/middleware/http-errors';

describe('toHttpError', () => {
  it('maps bad input to 400, with its code and message, keeping the original as the cause', () => {
    const original = new ValidationError('createTask("t.add"): args must be an array');
    const mapped = toHttpError(original) as TaskHttpError;
    expect(mapped).to.be.instanceOf(TaskHttpError);
    expect(mapped).to.include({ status: 400, statusCode: 400, expose: true, code: 'TW_INVALID_INPUT', message: original.message });
    expect(mapped.cause).to.equal(original);
  });

  it('maps an unknown task to 400 naming only that task, not the registry hint meant for developers', () => {
    const mapped = toHttpError(new UnknownTaskError('t.nope', 'register it with @Task; known: t.add, t.secret')) as TaskHttpError;
    expect(mapped).to.include({ status: 400, code: 'TW_UNKNOWN_TASK', message: 'unknown task "t.nope"' });
  });

  it('maps a missing task to 404', () => {
    expect(toHttpError(new TaskWorkerError('TW_NOT_FOUND', 'no task with id x'))).to.include({ status: 404, expose: true, code: 'TW_NOT_FOUND' });
  });

  it('returns every other error unchanged, for the app to handle', () => {
    const errors = [new ConfigError('bad'), new TaskWorkerError('TW_OTHER', 'x'), new Error('db down'), 'a string', undefined];
    for (const error of errors) expect(toHttpError(error)).to.equal(error);
    const already = new TaskHttpError(409, 'TW_CONFLICT', 'taken');
    expect(toHttpError(already)).to.equal(already);
  });
});

describe('errorResponse', () => {
  it('answers a client error with its status, code and message, and no stack', () => {
    expect(errorResponse(new ValidationError('priority must be an integer'))).to.deep.equal({
      status: 400, body: { error: { code: 'TW_INVALID_INPUT', message: 'priority must be an integer' } },
    });
  });

  it('answers a 4xx from elsewhere (a body parser, http-errors) with its message, coded by its status when it has no code', () => {
    const parseError = Object.assign(new SyntaxError('Unexpected end of JSON input'), { status: 400, expose: true, type: 'entity.parse.failed' });
    expect(errorResponse(parseError)).to.deep.equal({ status: 400, body: { error: { code: 'HTTP_400', message: 'Unexpected end of JSON input' } } });
    const tooLarge = Object.assign(new Error('request entity too large'), { statusCode: 413, code: 'LIMIT' });
    expect(errorResponse(tooLarge)).to.deep.equal({ status: 413, body: { error: { code: 'LIMIT', message: 'request entity too large' } } });
  });

  it('hides the message of a 4xx marked expose: false', () => {
    const secret = Object.assign(new Error('token abc123 rejected'), { status: 401, expose: false });
    expect(errorResponse(secret)).to.deep.equal({ status: 401, body: { error: { code: 'INTERNAL_ERROR', message: 'internal server error' } } });
  });

  it('answers anything else with a generic 500: no message, no code, no stack', () => {
    const internal = [
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' }),
      new ConfigError('databaseUrl postgres://u:***@h/db is wrong'),
      Object.assign(new Error('odd status'), { status: 302 }),
      Object.assign(new Error('not a status'), { status: '400' }),
      'a thrown string', null, undefined,
    ];
    for (const thrown of internal) {
      expect(errorResponse(thrown), String(thrown)).to.deep.equal({ status: 500, body: { error: { code: 'INTERNAL_ERROR', message: 'internal server error' } } });
    }
  });

  it('keeps a 5xx status but never its message, even one marked expose: true', () => {
    const unavailable = Object.assign(new Error('replica 10.0.0.7 lagging'), { status: 503, expose: true, code: 'LAG' });
    expect(errorResponse(unavailable)).to.deep.equal({ status: 503, body: { error: { code: 'INTERNAL_ERROR', message: 'internal server error' } } });
  });

  it('adds the real message and the stack only when the app opts in', () => {
    const error = new Error('connect ECONNREFUSED');
    const { status, body } = errorResponse(error, { exposeStack: true });
    expect(status).to.equal(500);
    expect(body.error).to.include({ code: 'INTERNAL_ERROR', message: 'connect ECONNREFUSED', stack: error.stack });
    expect(errorResponse('a thrown string', { exposeStack: true }).body.error).to.deep.equal({ code: 'INTERNAL_ERROR', message: 'a thrown string' });
  });
});
