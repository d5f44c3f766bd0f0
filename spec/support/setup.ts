// Loaded by mocha before every spec file: decorator metadata, a quiet default log level, and a
// root hook that drops the databases the run created.
import 'reflect-metadata';
import { dropCreatedDatabases } from './services';

process.env.TW_LOG_LEVEL ??= 'silent';

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await dropCreatedDatabases();
  },
};
