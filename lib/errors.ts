// The error classes callers can catch: one base with a stable `code`, a few subclasses.
// Messages say what was wrong and how to fix it.

export class TaskWorkerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input to createTask/createTasks (nothing was written). */
export class ValidationError extends TaskWorkerError {
  constructor(message: string) {
    super('TW_INVALID_INPUT', message);
  }
}

/** A task name that is neither registered nor resolvable under the module root. */
export class UnknownTaskError extends TaskWorkerError {
  constructor(readonly taskName: string, hint: string) {
    super('TW_UNKNOWN_TASK', `unknown task "${taskName}": ${hint}`);
  }
}

/** A handler registered twice under one name. */
export class DuplicateTaskError extends TaskWorkerError {
  constructor(readonly taskName: string) {
    super('TW_DUPLICATE_TASK', `task "${taskName}" is already registered; give one of the handlers another name`);
  }
}

/** Bad configuration: a flag, a config file key or an environment variable. */
export class ConfigError extends TaskWorkerError {
  constructor(message: string) {
    super('TW_BAD_CONFIG', message);
  }
}

/** A schedule that cannot be stored: a bad expression, interval, time zone, option or task (nothing was written). */
export class ScheduleError extends TaskWorkerError {
  constructor(readonly scheduleKey: string, message: string) {
    super('TW_INVALID_SCHEDULE', `schedule "${scheduleKey}": ${message}`);
  }
}
