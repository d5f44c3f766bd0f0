// Public entry of the decorators.
export { Task, TaskOptions, type TaskClassOptions } from './task';
