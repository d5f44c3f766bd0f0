// The part of the store a worker uses (claim loop, settler, lease keeper, sweep lock), as a type:
// the worker depends on this, so unit specs can run it over an in-memory store.
import type { CancelStatements } from './cancel-statements';
import type { LockStatements } from './lock-statements';
import type { ProgressStatements } from './progress-statements';
import type { QueueStatements } from './queue-statements';
import type { TaskStore } from './task-store';
import type { WorkerRegistryStatements } from './worker-registry-statements';

export type WorkerStore = Pick<TaskStore,
  'claim' | 'complete' | 'fail' | 'renewLeases' | 'leasedBy' | 'findStale' | 'failStale' | 'giveBack' | 'warmUp' | 'classifyError'
> & {
  readonly locks: Pick<LockStatements, 'tryLock' | 'unlock'>;
  readonly workers: Pick<WorkerRegistryStatements, 'register' | 'beat' | 'deregister'>;
  readonly progress: Pick<ProgressStatements, 'write'>;
  readonly cancels: Pick<CancelStatements, 'requestedFor'>;
  readonly queues: Pick<QueueStatements, 'paused'>;
};
