// Calls that must NOT compile. Each line marked "expect-error" must fail with that code, and the
// message must contain the quoted text; any other error anywhere fails the check.
import type { Request } from 'express';
import type { Context } from 'koa';
import { taskCall, type TaskClient, type TaskWorker } from '../../lib/index';
import { MathTasks } from './tasks';

export async function enqueue(tw: TaskWorker, client: TaskClient, req: Request, ctx: Context): Promise<void> {
  await tw.createTask(MathTasks, 'multiply', ['2', 3]); // expect-error TS2322 "Type 'string' is not assignable to type 'number'"
  await tw.createTask(MathTasks, 'multiply', [2]); // expect-error TS2345 "'[number]' is not assignable to parameter of type '[a: number, b: number]'"
  await tw.createTask(MathTasks, 'multiply', [2, 3, 4]); // expect-error TS2345 "'[number, number, number]' is not assignable to parameter of type '[a: number, b: number]'"
  await tw.createTask(MathTasks, 'divide', [2, 3]); // expect-error TS2345 "Argument of type '\"divide\"' is not assignable to parameter of type 'TaskMethodName<typeof MathTasks>'"
  await tw.createTask(MathTasks, '_round', [2.5]); // expect-error TS2345 "Argument of type '\"_round\"' is not assignable to parameter of type 'TaskMethodName<typeof MathTasks>'"
  await client.createTask(MathTasks, 'greet', [42]); // expect-error TS2322 "Type 'number' is not assignable to type 'string'"
  await tw.createTask(MathTasks, 'multiply', [2, 3], { args: [1] }); // expect-error TS2353 "'args' does not exist in type 'TypedCreateOptions'"
  await req.tasks.create(MathTasks, 'multiply', [2, '3']); // expect-error TS2322 "Type 'string' is not assignable to type 'number'"
  await ctx.tasks.create(MathTasks, 'greet', ['koa', 'yes']); // expect-error TS2322 "Type 'string' is not assignable to type 'boolean | undefined'"
  taskCall(MathTasks, 'multiply', [1, null]); // expect-error TS2322 "Type 'null' is not assignable to type 'number'"
}
