// What the command-line tools print for an error that stops them: one line that says what to do
// for the errors a user meets (configuration, an unreachable or missing database, a missing
// table); a stack only for what looks like a bug.

/** Sequelize's errors (connection refused, unknown database, bad credentials, SQL errors) and the drivers'. */
function isDatabaseError(error: Error): boolean {
  return /^Sequelize|ConnectionError$|ConnectionRefusedError$|AccessDeniedError$|HostNotFoundError$/.test(error.name) ||
    typeof (error as { code?: unknown }).code === 'string' && /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|SQLITE_|ER_|28P01|3D000)/.test(String((error as { code?: unknown }).code));
}

/** One line for a user's mistake or an unreachable database; undefined for anything else. */
export function explainError(error: unknown): string | undefined {
  if (!(error instanceof Error)) return String(error);
  const message = error.message.split('\n')[0];
  if (/tw_(tasks|task_types|schedules|queues|task_attempts)/.test(message) && /(no such table|does not exist|doesn't exist)/i.test(message)) {
    return 'the task tables do not exist in this database: run `tw-worker migrate` (with the same --database-url) first';
  }
  if (/(no such column|column .* does not exist|unknown column)/i.test(message)) {
    return `the schema is older than this version (${message}): run \`tw-worker migrate\` (with the same --database-url) first`;
  }
  if (isDatabaseError(error)) return `database error: ${message || error.name} (check --database-url or DATABASE_URL, and that the server is up)`;
  return undefined;
}
