// The scheduler every worker process runs beside its claim loop: it stores the declared schedules
// (retrying while the database is away), then wakes at the next fire time (or every poll interval,
// to see schedules changed elsewhere) and fires what is due. Any number of schedulers may run:
// one fire is one transaction that locks the schedule row at the fire time it read (skipping a row
// another scheduler holds), inserts the fire's tasks (unique per schedule and fire time) and
// advances next_fire_at by compare-and-set, so each fire time gets exactly one task, once.
import type { Logger } from 'pino';
import type { TaskClient } from './client';
import type { ResolvedConfig } from './config';
import { dueFires } from './fire-times';
import { recurrenceOf } from './schedule-spec';
import { Sleeper } from './sleeper';
import type { TaskStore } from './store/task-store';
import type { TaskRecord } from './types';

/** Due schedules fired per turn; more are fired at once by the next turn. */
const DUE_PER_TURN = 100;
/**
 * How long a fire's transaction may sit idle (its process paused past it, or cut off) before the
 * server ends it and releases the schedule row to the others: well under ON_TIME_MS, so a fire time
 * delayed by such a pause is still on time when another scheduler fires it.
 */
const FIRE_IDLE_LIMIT_S = 5;

export interface SchedulerDeps {
  store: TaskStore;
  client: TaskClient;
  config: ResolvedConfig;
  logger: Logger;
  /** The time source (tests inject one). */
  clock?: () => number;
}

export class Scheduler {
  private readonly clock: () => number;
  private readonly sleeper = new Sleeper();
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private databaseDown = false;
  private readonly failing = new Set<string>();

  constructor(private readonly deps: SchedulerDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /** Runs `sync` until it succeeds, then (with `fire`) fires due schedules until stop(). */
  start(sync: () => Promise<unknown>, fire: boolean): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop(sync, fire);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.sleeper.wake();
    await this.loopDone;
  }

  private async loop(sync: () => Promise<unknown>, fire: boolean): Promise<void> {
    const { config, logger } = this.deps;
    while (this.running) {
      try {
        await sync();
        break;
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'could not store the declared schedules: database unreachable? retrying');
        await this.sleeper.sleep(config.pollIntervalMs);
      }
    }
    while (this.running && fire) {
      let wait = config.pollIntervalMs;
      try {
        await this.turn();
        const next = await this.deps.store.schedules.earliestNext();
        if (next !== null) wait = Math.min(wait, Math.max(0, next - this.clock()));
        if (this.databaseDown) logger.info('database reachable again: schedules firing');
        this.databaseDown = false;
      } catch (error) {
        if (!this.databaseDown) logger.warn({ err: (error as Error).message }, 'schedules could not be read: database unreachable? retrying');
        this.databaseDown = true;
      }
      await this.sleeper.sleep(wait);
    }
  }

  /** Fires every schedule due at `now`; returns the tasks made. */
  async turn(now = this.clock()): Promise<TaskRecord[]> {
    const made: TaskRecord[] = [];
    for (const { key, nextFireAt } of await this.deps.store.schedules.due(now, DUE_PER_TURN)) {
      try {
        made.push(...await this.fire(key, nextFireAt, now));
        this.failing.delete(key);
      } catch (error) {
        // One broken schedule must not stop the others; it is tried again at the next turn.
        if (!this.failing.has(key)) this.deps.logger.error({ schedule: key, err: (error as Error).message }, 'a schedule could not fire; retrying');
        this.failing.add(key);
      }
    }
    return made;
  }

  /**
   * Fires one schedule read at `expectedNext`: nothing when another scheduler holds or has fired it
   * meanwhile. The tasks made are announced after the commit.
   */
  async fire(key: string, expectedNext: number, now: number): Promise<TaskRecord[]> {
    const { store, client } = this.deps;
    const made = await store.schedules.boundedTransaction(FIRE_IDLE_LIMIT_S, async (transaction) => {
      const schedule = await store.schedules.lockDue(key, expectedNext, transaction);
      if (!schedule) return [];
      const turn = dueFires(recurrenceOf(schedule), schedule.catchUp, expectedNext, now);
      const records = turn.fires.map((fireAt) => client.scheduledRecord(schedule, fireAt, now));
      const inserted = records.length > 0 ? await store.insertKeyed(records, transaction) : new Set<string>();
      // A fire time that has its task already (made by a run that failed to advance) is not made twice.
      const fresh = records.filter((r) => inserted.has(r.id));
      const last = fresh.length > 0 ? { fireAt: fresh[fresh.length - 1].scheduledFor!, taskId: fresh[fresh.length - 1].id } : null;
      // Under the row lock this cannot fail; it is what makes a passed fire time final even where
      // its task is purged later, should any path ever reach here without the lock.
      if (!(await store.schedules.advance(key, expectedNext, turn.next, last, now, transaction))) throw new MovedOn();
      return fresh;
    }).catch((error: unknown) => {
      if (error instanceof MovedOn) return [];
      throw error;
    });
    client.announce(made, undefined);
    if (made.length > 0) this.deps.logger.debug({ schedule: key, tasks: made.length, fireAt: made.map((r) => r.scheduledFor) }, 'schedule fired');
    return made;
  }
}

/** The schedule row moved on while this fire ran: roll its inserts back. */
class MovedOn extends Error {}
