// How a failed statement is read (each dialect's classifyError, on errors shaped as the pg, mysql2
// and sqlite3 drivers make them, bare or wrapped by Sequelize), and what persistently() does with
// each kind: transient errors retried with backoff, conflicts at once, permanent ones thrown.
import { expect } from 'chai';
import pino from 'pino';
import { ConnectionRefusedError, DatabaseError as SequelizeDatabaseError, TimeoutError as SequelizeTimeoutError } from 'sequelize';
import type { ErrorKind } from '../../lib/db/dialect';
import { dialectFor, type DialectName } from '../../lib/db/index';
import { persistently, type PersistOptions } from '../../lib/persist';

/** As node-postgres reports a server error: the SQLSTATE in `code`. */
function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

/** As mysql2 reports a server error: a name in `code`, the number in `errno`, the SQLSTATE in `sqlState`. */
function mysqlError(code: string, errno: number, sqlState: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno, sqlState, sqlMessage: message });
}

/** As Node reports a failed connection (what both pg and mysql2 pass on). */
function socketError(code: string, errno: number): Error {
  return Object.assign(new Error(`connect ${code}`), { code, errno, syscall: 'connect', fatal: true });
}

/** As sqlite3 reports an error: the result code's name in `code`. */
function sqliteError(code: string, errno: number, text: string): Error {
  return Object.assign(new Error(`${code}: ${text}`), { code, errno });
}

/** The driver error as Sequelize's query layer leaves it (with the statement) before wrapping it. */
function withSql(error: unknown): Error & { sql: string } {
  return Object.assign(error as Error, { sql: 'UPDATE tw_tasks SET status = $1 WHERE id = $2' });
}

const CASES: Record<DialectName, Array<[string, unknown, ErrorKind]>> = {
  postgres: [
    ['deadlock (40P01)', pgError('40P01', 'deadlock detected'), 'conflict'],
    ['serialization failure (40001)', pgError('40001', 'could not serialize access due to concurrent update'), 'conflict'],
    ['string too long (22001)', pgError('22001', 'value too long for type character varying(200)'), 'permanent'],
    ['bad encoding (22021)', pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'), 'permanent'],
    ['unique violation (23505)', pgError('23505', 'duplicate key value violates unique constraint "tw_tasks_pkey"'), 'permanent'],
    ['missing table (42P01)', pgError('42P01', 'relation "tw_tasks" does not exist'), 'permanent'],
    ['program limit (54000)', pgError('54000', 'index row size exceeds maximum'), 'permanent'],
    ['server shutting down (57P01)', pgError('57P01', 'terminating connection due to administrator command'), 'transient'],
    ['too many connections (53300)', pgError('53300', 'sorry, too many clients already'), 'transient'],
    ['connection refused', socketError('ECONNREFUSED', -111), 'transient'],
    ['connection dropped (no code)', new Error('Connection terminated unexpectedly'), 'transient'],
  ],
  mariadb: [
    ['deadlock (1213)', mysqlError('ER_LOCK_DEADLOCK', 1213, '40001', 'Deadlock found when trying to get lock'), 'conflict'],
    ['lock wait timeout (1205, SQLSTATE HY000)', mysqlError('ER_LOCK_WAIT_TIMEOUT', 1205, 'HY000', 'Lock wait timeout exceeded'), 'conflict'],
    ['over max_allowed_packet (1153, SQLSTATE 08S01)', mysqlError('ER_NET_PACKET_TOO_LARGE', 1153, '08S01', "Got a packet bigger than 'max_allowed_packet' bytes"), 'permanent'],
    ['data too long (1406)', mysqlError('ER_DATA_TOO_LONG', 1406, '22001', "Data too long for column 'result' at row 1"), 'permanent'],
    ['duplicate key (1062)', mysqlError('ER_DUP_ENTRY', 1062, '23000', "Duplicate entry 'x' for key 'PRIMARY'"), 'permanent'],
    ['syntax error (1064)', mysqlError('ER_PARSE_ERROR', 1064, '42000', 'You have an error in your SQL syntax'), 'permanent'],
    ['server shutting down (1053)', mysqlError('ER_SERVER_SHUTDOWN', 1053, '08S01', 'Server shutdown in progress'), 'transient'],
    ['too many connections (1040)', mysqlError('ER_CON_COUNT_ERROR', 1040, '08004', 'Too many connections'), 'transient'],
    ['connection refused', socketError('ECONNREFUSED', -111), 'transient'],
    ['connection lost', Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }), 'transient'],
  ],
  sqlite: [
    ['string or blob too big', sqliteError('SQLITE_TOOBIG', 18, 'string or blob too big'), 'permanent'],
    ['constraint failed', sqliteError('SQLITE_CONSTRAINT', 19, 'UNIQUE constraint failed: tw_tasks.id'), 'permanent'],
    ['datatype mismatch', sqliteError('SQLITE_MISMATCH', 20, 'datatype mismatch'), 'permanent'],
    ['bind out of range', sqliteError('SQLITE_RANGE', 25, 'column index out of range'), 'permanent'],
    ['database locked', sqliteError('SQLITE_BUSY', 5, 'database is locked'), 'transient'],
    ['disk I/O error', sqliteError('SQLITE_IOERR', 10, 'disk I/O error'), 'transient'],
    ['cannot open', sqliteError('SQLITE_CANTOPEN', 14, 'unable to open database file'), 'transient'],
  ],
};

describe('classifyError per dialect', () => {
  for (const [name, cases] of Object.entries(CASES) as Array<[DialectName, typeof CASES[DialectName]]>) {
    describe(name, () => {
      const classify = (error: unknown) => dialectFor(name).classifyError(error);

      for (const [what, error, kind] of cases) {
        it(`${what}: ${kind}, bare and as Sequelize wraps it`, () => {
          expect(classify(error), 'bare').to.equal(kind);
          expect(classify(new SequelizeDatabaseError(withSql(error))), 'in a DatabaseError (.parent, .original)').to.equal(kind);
          expect(classify({ original: error }), 'in .original only').to.equal(kind);
        });
      }

      it('reads a Sequelize connection or timeout error by the driver error inside it', () => {
        const refused = socketError('ECONNREFUSED', -111);
        expect(classify(new ConnectionRefusedError(refused))).to.equal('transient');
        const busy = sqliteError('SQLITE_BUSY', 5, 'database is locked');
        expect(classify(new SequelizeTimeoutError(withSql(busy)))).to.equal('transient');
      });

      it('treats what it cannot read as transient: retrying is the safe side', () => {
        for (const thrown of [undefined, null, 'a string', 42, {}, new Error('no code at all')]) expect(classify(thrown), String(thrown)).to.equal('transient');
      });
    });
  }
});

describe('persistently', () => {
  const KINDS: Record<string, ErrorKind> = { conflict: 'conflict', permanent: 'permanent', transient: 'transient' };
  const failure = (kind: ErrorKind) => new Error(kind);
  let logs: Array<{ level: number; msg: string }>;
  let errors: unknown[];

  function options(overrides: Partial<PersistOptions> = {}): PersistOptions {
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; msg: string }) });
    return { logger, classify: (e) => KINDS[(e as Error).message], giveUp: () => false, onError: (e) => errors.push(e), ...overrides };
  }

  /** A write that throws each of `failures` in turn, then returns 'stored'. */
  function flaky(...failures: ErrorKind[]): { write: () => Promise<string>; calls: () => number } {
    let calls = 0;
    return {
      write: async () => {
        const kind = failures[calls++];
        if (kind) throw failure(kind);
        return 'stored';
      },
      calls: () => calls,
    };
  }

  beforeEach(() => {
    logs = [];
    errors = [];
  });

  it('returns what the write returns, first time', async () => {
    const w = flaky();
    expect(await persistently('w', w.write, options())).to.equal('stored');
    expect(w.calls()).to.equal(1);
    expect(logs).to.deep.equal([]);
  });

  it('retries a transient error until the write lands, warning once and saying when it recovered', async () => {
    const w = flaky('transient', 'transient');
    expect(await persistently('complete tasks', w.write, options())).to.equal('stored');
    expect(w.calls()).to.equal(3);
    expect(errors).to.have.length(2);
    expect(logs.map((l) => l.msg)).to.deep.equal(['database write failed; retrying until it succeeds', 'database write succeeded after retrying']);
  });

  it('runs a write that lost a lock conflict again at once: not an outage, nothing reported', async () => {
    const w = flaky('conflict', 'conflict', 'conflict');
    expect(await persistently('w', w.write, options())).to.equal('stored');
    expect(w.calls()).to.equal(4);
    expect(errors).to.deep.equal([]);
    expect(logs.filter((l) => l.level >= 40)).to.deep.equal([]);
  });

  it('counts conflicts that keep coming as failures after ten quick retries', async () => {
    const w = flaky(...Array.from({ length: 11 }, () => 'conflict' as const));
    expect(await persistently('w', w.write, options())).to.equal('stored');
    expect(w.calls()).to.equal(12);
    expect(errors).to.have.length(1);
  });

  it('throws a permanent error at once, without retrying', async () => {
    const w = flaky('permanent');
    let thrown: unknown;
    await persistently('w', w.write, options()).catch((e: unknown) => (thrown = e));
    expect((thrown as Error).message).to.equal('permanent');
    expect(w.calls()).to.equal(1);
  });

  it('gives up after a failure once giveUp() says so, returning undefined', async () => {
    const w = flaky('transient', 'transient');
    expect(await persistently('w', w.write, options({ giveUp: () => true }))).to.equal(undefined);
    expect(w.calls()).to.equal(1);
    expect(errors).to.have.length(1);
    expect(logs.map((l) => l.msg)).to.deep.equal(['database write abandoned: the worker is stopping now']);
  });
});
