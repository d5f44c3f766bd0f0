// The public API of task-worker: explicit exports only. Task files import the light entry
// 'task-worker/tasks' (decorators/index.ts) for @Task, registerTask and currentTask.
export { TaskWorker, type TaskWorkerInit } from './task-worker';
export { TaskClient, type WaitOptions, type GetTaskOptions, type ProgressListener, type CreatedListener } from './client';
export { Worker, type WorkerState, type TaskSettledEvent, type TaskRecoveredEvent } from './worker';
export { DatabaseTask } from './model';
export { migrate, pendingMigrations } from './migrate';
export { openDatabase, type DatabaseOptions } from './db/open';
export { resolveConfig, type TaskWorkerOptions, type ResolvedConfig, type PoolKind } from './config';
export { redactUrl } from './redact-url';
export { TaskRegistry, defaultRegistry, registerTask, taskNameOf, type TaskHandler, type RegisteredTask, type TaskRegistration } from './registry';
export { Schedules, type ScheduleInfo, type SyncResult } from './schedules';
export { Scheduler } from './scheduler';
export type { ScheduleOptions, ScheduleSpec, TaskScheduleOptions, ScheduleSource } from './schedule-spec';
export { parseDuration, formatDuration, purgeAgeProblem, DURATION_HINT } from './duration';
export { currentTask, type TaskContext } from './context';
export { TaskStatus, type CreateTaskOptions, type TaskSpec, type TaskDefaults, type JsonValue, type JsonObject } from './types';
export { TaskWorkerError, ValidationError, UnknownTaskError, DuplicateTaskError, ConfigError, ScheduleError } from './errors';
export {
  StoredTaskError, TaskTimeoutError, WorkerLostError, CancelledError, ResultError, ThreadCrashError, WorkerStoppedError, PermanentError,
  TASK_ERROR_CODE,
} from './task-errors';
export type { TaskAttempt, AttemptOutcome } from './attempts';
export type { TaskProgress, ProgressReport } from './progress';
export { TaskMetrics, type MetricsOptions } from './metrics';
export { metricsHandler, koaMetricsHandler, startMetricsServer, type MetricsServer } from './metrics-http';
export { taskCall, type TaskMethodName, type TaskArgs, type TaskResult, type TypedCreateOptions } from './typed-tasks';
export { createTasksApi, type TasksApi, type TaskSource, type TaskMiddlewareOptions } from './middleware/tasks-api';
export { taskMiddleware, taskErrorHandler, type TaskErrorHandlerOptions } from './middleware/express';
export { koaTaskMiddleware, koaTaskErrorHandler, type KoaTaskErrorHandlerOptions } from './middleware/koa';
export { TaskHttpError, toHttpError, errorResponse, type ErrorBodyOptions, type ErrorResponse } from './middleware/http-errors';
export {
  TaskAdmin, TaskStateError, type ListFilter, type PurgeOptions, type PurgeResult, type QueueStats, type TaskStats, type QueueState, type QueueInfo,
  type RetryFailedFilter, type RetryFailedOptions, type RetryFailedResult,
} from './admin';
export { dashboard, type ExpressDashboard, type ExpressRequestLike } from './dashboard/express';
export { koaDashboard, type KoaDashboard, type KoaDashboardOptions } from './dashboard/koa';
export { serveDashboard, type StandaloneDashboard, type StandaloneDashboardOptions } from './dashboard/standalone';
export type { DashboardOptions, RequestCheck } from './dashboard/options';
