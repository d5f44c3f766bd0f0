// A task class for the compile checks: typed enqueue must accept exactly these signatures.
import { Task } from '../../decorators/index';

@Task('compile.tasks')
export class MathTasks {
  multiply(a: number, b: number): number {
    return a * b;
  }

  async greet(name: string, excited?: boolean): Promise<string> {
    return `hello ${name}${excited ? '!' : ''}`;
  }

  /** Not a task: @Task skips names starting with '_'. */
  _round(value: number): number {
    return Math.round(value);
  }
}
