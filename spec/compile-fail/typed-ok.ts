// The correct twin of typed-wrong.ts: every call here must compile (typed and string names alike).
import type { Request } from 'express';
import type { Context } from 'koa';
import { taskCall, type TaskClient, type TaskResult, type TaskWorker } from '../../lib/index';
import { MathTasks } from './tasks';

export async function enqueue(tw: TaskWorker, client: TaskClient, req: Request, ctx: Context): Promise<void> {
  await tw.createTask(MathTasks, 'multiply', [2, 3]);
  await tw.createTask(MathTasks, 'multiply', [2, 3], { queue: 'math', priority: -1, delay: 5, maxRetries: 2 });
  await tw.createTask(MathTasks, 'greet', ['ada']);
  await tw.createTask(MathTasks, 'greet', ['ada', true]);
  await client.createTask(MathTasks, 'multiply', [4, 5]);
  await tw.createTask('compile.tasks.multiply', { args: [2, 3] });
  await client.createTask('anything.by.name', { args: ['not checked'], kwargs: { x: 1 } });
  await tw.createTasks([taskCall(MathTasks, 'multiply', [1, 2]), { name: 'compile.tasks.greet', args: ['x'] }]);
  // req.tasks and ctx.tasks are typed by declaration merging: no cast.
  const task = await req.tasks.create(MathTasks, 'multiply', [6, 7]);
  await req.tasks.wait(task.id, { timeout: 5 });
  await ctx.tasks.create(MathTasks, 'greet', ['koa']);
  await ctx.tasks.createMany([taskCall(MathTasks, 'greet', ['a', false])]);
  const product: TaskResult<typeof MathTasks, 'multiply'> = 42;
  const greeting: TaskResult<typeof MathTasks, 'greet'> = 'hello';
  void product;
  void greeting;
}
