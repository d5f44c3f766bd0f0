// Compiled by spec/e2e/decorator-modes.spec.ts with each TypeScript (the pinned one and the current
// major) in each decorator mode (standard TC39, experimentalDecorators); every build must register
// the same tasks with the same defaults. Not part of the main build (it imports the package by name).
import { Schedule, Task, TaskOptions, registerTask } from 'task-worker/tasks';

@Task('fixture.mail', { queue: 'emails', maxRetries: 2 })
export class MailTasks {
  send(to: string): string {
    return `sent to ${to}`;
  }

  @TaskOptions({ timeout: 5, priority: -1 })
  urgent(to: string): string {
    return `urgent to ${to}`;
  }

  @TaskOptions({ queue: 'bulk', maxRetries: 0 })
  async bulk(count: number): Promise<number> {
    return count;
  }

  @Schedule('0 3 * * *', { key: 'nightly-digest' })
  @Schedule({ every: '1h' })
  @TaskOptions({ priority: 2 })
  digest(): string {
    return 'digest';
  }

  _helper(): number {
    return 1;
  }

  static make(): MailTasks {
    return new MailTasks();
  }
}

@Task()
export class Plain {
  add(a: number, b: number): number {
    return a + b;
  }
}

registerTask('fixture.plain.multiply', (a: number, b: number) => a * b, { timeout: 9 });
