// Handler defaults for enqueuers that did not load the handler: the task types workers record at
// start (tw_task_types), read whole and cached briefly. Which defaults a new task gets, in order:
// the createTask option, the enqueuing process's own registry, the stored task type, the config.
import type { Logger } from 'pino';
import type { TaskTypeStatements } from './store/task-type-statements';
import type { TaskDefaults } from './types';

/** How long the stored task types are reused before they are read again. */
export const TASK_TYPES_TTL_MS = 10_000;
/** A name the cache does not know is looked up again, but not more often than this. */
export const TASK_TYPES_MISS_REFRESH_MS = 1000;

export type StoredTypes = ReadonlyMap<string, TaskDefaults>;

export class TaskTypeCache {
  private cached: { at: number; types: StoredTypes } | undefined;
  private loading: Promise<StoredTypes> | undefined;
  private warned = false;

  constructor(private readonly statements: Pick<TaskTypeStatements, 'all'>, private readonly logger: Logger) {}

  /**
   * The stored types, fresh enough to know `names` if any worker has recorded them: read again
   * when older than the TTL, or when a name is missing and the last read is older than a second
   * (a worker that just started is seen at once).
   */
  async lookup(names: readonly string[]): Promise<StoredTypes> {
    let types = await this.read(TASK_TYPES_TTL_MS);
    if (names.some((name) => !types.has(name))) types = await this.read(TASK_TYPES_MISS_REFRESH_MS);
    return types;
  }

  private async read(maxAgeMs: number): Promise<StoredTypes> {
    if (this.cached && Date.now() - this.cached.at < maxAgeMs) return this.cached.types;
    this.loading ??= this.statements.all().then(
      (rows) => new Map(rows.map((row) => [row.name, row.defaults])),
      (error: unknown) => {
        // No tw_task_types yet (migrations not applied) or no database: enqueue as before; an
        // unreachable database fails the insert itself with a clearer error.
        if (!this.warned) this.logger.debug({ err: (error as Error).message }, 'task types unreadable; using no stored handler defaults');
        this.warned = true;
        return new Map<string, TaskDefaults>();
      },
    ).then((types) => {
      this.cached = { at: Date.now(), types };
      return types;
    }).finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Forget the cache (after this process recorded types itself). */
  invalidate(): void {
    this.cached = undefined;
  }
}
