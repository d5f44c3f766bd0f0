// Builds a TaskWorker on a fresh database for one suite, and small row helpers for assertions.
import { QueryTypes } from 'sequelize';
import { TaskRegistry, TaskWorker, type TaskWorkerInit } from '../../lib/index';
import { freshDatabase, REDIS_URL, requireService, uniquePrefix, type TestDialect } from './services';

export interface SuiteOptions extends TaskWorkerInit {
  /** Use Redis for notifications. Default false. */
  withRedis?: boolean;
}

/** In a before() hook: checks the services, makes a database, migrates, returns a TaskWorker. */
export async function openSuite(context: Mocha.Context, dialect: TestDialect, label: string, options: SuiteOptions = {}): Promise<TaskWorker> {
  const { withRedis, ...init } = options;
  await requireService(context, dialect);
  if (withRedis) await requireService(context, 'redis');
  const databaseUrl = await freshDatabase(dialect, label);
  const tw = new TaskWorker({
    databaseUrl,
    redisUrl: withRedis ? REDIS_URL : null,
    channelPrefix: uniquePrefix(label),
    pool: 'inline',
    registry: new TaskRegistry(),
    logLevel: 'silent',
    ...init,
  });
  await tw.migrate();
  return tw;
}

export async function clearTasks(tw: TaskWorker): Promise<void> {
  await tw.sequelize.query('DELETE FROM tw_tasks');
}

export async function countTasks(tw: TaskWorker, where = '1 = 1'): Promise<number> {
  const rows = await tw.sequelize.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM tw_tasks WHERE ${where}`, { type: QueryTypes.SELECT });
  return Number(rows[0].n);
}

export async function statusCounts(tw: TaskWorker): Promise<Record<string, number>> {
  const rows = await tw.sequelize.query<{ status: string; n: number | string }>(
    'SELECT status, COUNT(*) AS n FROM tw_tasks GROUP BY status', { type: QueryTypes.SELECT });
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
