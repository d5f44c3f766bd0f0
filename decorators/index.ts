// The light entry for task files ('task-worker/tasks'): what a module that defines tasks needs
// (@Task, @Schedule, registerTask, currentTask) without the database and Redis clients. Pool threads load
// task files, so a task file that imports this entry keeps every thread small. decorators/ builds
// on lib/ (the registry, the task context); lib/ never imports decorators/.
export { Task, TaskOptions, type TaskClassOptions } from './task';
export { Schedule, type ScheduleOptions, type TaskScheduleOptions } from './schedule';
export { registerTask, type TaskHandler, type TaskRegistration } from '../lib/registry';
export { currentTask, type TaskContext } from '../lib/context';
export { PermanentError, CancelledError } from '../lib/task-errors';
export type { TaskDefaults, JsonValue, JsonObject } from '../lib/types';
