// The light entry for task files: what a module that defines tasks needs (@Task, registerTask,
// currentTask) without the database and Redis clients. Pool threads load task files, so a task
// file that imports 'task-worker/tasks' keeps every thread small.
export { Task, TaskOptions, type TaskClassOptions } from '../decorators/task';
export { registerTask, type TaskHandler } from './registry';
export { currentTask, type TaskContext } from './context';
export type { TaskDefaults, JsonValue, JsonObject } from './types';
