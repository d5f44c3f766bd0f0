// MariaDB/MySQL statements on mysql2 connections borrowed from Sequelize's pool. Fixed-shape
// statements are server-side prepared (execute, cached per connection); variable-shape ones (bulk
// inserts, IN lists) go through the driver's escaping, so the server's prepared-statement cap is safe.
import { Transaction } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { onConnection, toQuestionMarks, type RunOptions, type SqlRunner } from './runner';

type Callback = (error: Error | null, result: unknown) => void;

interface MysqlConnection {
  execute(sql: string, values: unknown[], callback: Callback): void;
  query(sql: string, values: unknown[], callback: Callback): void;
}

export class MysqlRunner implements SqlRunner {
  constructor(private readonly sequelize: Sequelize) {}

  private async run(sql: string, params: readonly unknown[], options?: RunOptions): Promise<unknown> {
    const { text, values } = toQuestionMarks(sql, params);
    const call = (connection: MysqlConnection) =>
      new Promise<unknown>((resolve, reject) => {
        const done: Callback = (error, result) => (error ? reject(error) : resolve(result));
        if (options?.prepare) connection.execute(text, values, done);
        else connection.query(text, values, done);
      });
    return onConnection(this.sequelize, options?.transaction, call);
  }

  async rows<T>(sql: string, params: readonly unknown[], options?: RunOptions): Promise<T[]> {
    return (await this.run(sql, params, options)) as T[];
  }

  async execute(sql: string, params: readonly unknown[], options?: RunOptions): Promise<number> {
    return ((await this.run(sql, params, options)) as { affectedRows: number }).affectedRows;
  }

  transaction<T>(fn: (transaction: Transaction) => Promise<T>): Promise<T> {
    return this.sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED }, fn);
  }
}
