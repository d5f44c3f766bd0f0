// The JSON the dashboard's server sends and its browser code reads: one definition for both sides
// (types only; nothing here runs). Times are epoch milliseconds.

/** What a person sees: FAILED is failed for good; RETRYING is FAILED with a retry scheduled. */
export type TaskState = 'PENDING' | 'PROGRESS' | 'COMPLETED' | 'FAILED' | 'RETRYING';

/** The list's status filter (FAILED_ANY: both kinds of FAILED). */
export type StatusFilterValue = 'PENDING' | 'PROGRESS' | 'COMPLETED' | 'FAILED' | 'FAILED_FINAL' | 'RETRYING';

export interface QueueJson {
  name: string;
  /** PENDING tasks: ready now, and waiting for a later run_at. */
  ready: number;
  scheduled: number;
  running: number;
  retrying: number;
  /** Finished history; null until first counted. */
  completed: number | null;
  failed: number | null;
  /** How long the oldest ready task has waited to start. */
  oldestReadyAgeMs: number | null;
  /** Tasks finished in each of the last 60 minutes, oldest first; the last is the current minute. */
  completedPerMinute: number[];
  failedPerMinute: number[];
  /** Paused by an operator: workers claim none of its tasks (absent on the total). */
  paused?: boolean;
}

export interface OverviewJson {
  now: number;
  /** Start of the first minute of the *PerMinute arrays. */
  firstMinute: number;
  queues: QueueJson[];
  total: QueueJson;
  /** When the finished counts were taken (they are cached on big tables); null before the first count. */
  finishedCountedAt: number | null;
  workers: { live: number; lost: number };
}

export interface TaskSummaryJson {
  id: string;
  name: string;
  state: TaskState;
  queue: string;
  priority: number;
  retryCount: number;
  maxRetries: number | null;
  runAt: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  duration: number | null;
  lockedBy: string | null;
  /** The first line of the error, when there is one. */
  errorLine: string | null;
  /** The first characters of the arguments (JSON). */
  argsPreview: string;
}

export interface TaskPageJson {
  tasks: TaskSummaryJson[];
  /** Cursor for the newer page (after=), or null on the newest. */
  newer: string | null;
  /** Cursor for the older page (before=), or null on the oldest. */
  older: string | null;
  /** Server time spent on the page's query, ms. */
  queryMs: number;
}

/** A JSON field shown as text: pretty-printed, or cut when very large. */
export interface JsonText {
  text: string;
  truncated: boolean;
}

export interface TaskDetailJson {
  id: string;
  name: string;
  state: TaskState;
  status: string;
  final: boolean;
  queue: string;
  priority: number;
  args: JsonText;
  kwargs: JsonText;
  /** null while there is no result. */
  result: JsonText | null;
  /** The full error of the last failed attempt (message and stack); null when none. */
  error: JsonText | null;
  retryCount: number;
  maxRetries: number | null;
  timeout: number;
  createdAt: number;
  runAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
  duration: number | null;
  lockedBy: string | null;
  leaseExpiresAt: number | null;
  /** At most one task that is not final has this key (createTask's uniqueKey); null when none. */
  uniqueKey: string | null;
  /** The schedule that made the task, and the fire time it was made for; null for tasks created otherwise. */
  scheduleKey: string | null;
  scheduledFor: number | null;
  /** The code of `error` (TW_TASK_ERROR, TW_TIMEOUT, TW_CANCELLED...); null when none. */
  errorCode: string | null;
  /** The latest progress the handler reported; null when none. */
  progress: ProgressJson | null;
  /** A cancel of the running attempt is on its way to its worker. */
  cancelRequested: boolean;
  /** Every attempt kept, oldest first: the failed ones, then the one that succeeded or runs now. */
  attempts: AttemptJson[];
  /** What this viewer may do to the task now (all false when read-only). */
  actions: { retry: boolean; cancel: boolean };
}

export interface ProgressJson {
  /** 0 to 100. */
  percent: number;
  info: Record<string, unknown> | null;
  at: number;
}

export interface AttemptJson {
  /** The retry count during the attempt (0: the first run). */
  attempt: number;
  outcome: 'completed' | 'failed' | 'running';
  errorCode: string | null;
  error: JsonText | null;
  worker: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  duration: number | null;
}

export interface HeldTaskJson {
  id: string;
  name: string;
  queue: string;
  startedAt: number | null;
}

export interface WorkerJson {
  id: string;
  /** live: heartbeating; lost: its heartbeat stopped (its tasks are recovered after their lease); unregistered: holds tasks but has no registry row (an older version). */
  state: 'live' | 'lost' | 'unregistered';
  host: string | null;
  pid: number | null;
  queues: string[];
  concurrency: number | null;
  prefetch: number | 'auto' | null;
  pool: string | null;
  running: number | null;
  startedAt: number | null;
  lastSeenAt: number | null;
  expiresAt: number | null;
  held: HeldTaskJson[];
}

export interface WorkersJson {
  now: number;
  workers: WorkerJson[];
}

export interface ScheduleJson {
  key: string;
  task: string;
  /** The cron expression, or null for an interval schedule. */
  cron: string | null;
  /** The interval as a duration ('30s'), or null for a cron schedule. */
  every: string | null;
  /** The IANA zone a cron expression is read in (interval schedules ignore it). */
  timezone: string;
  /** 'none', 'latest', a count ('5') or a duration ('6h'). */
  catchUp: string;
  /** Who declared it: code and config schedules are synced at worker start; runtime ones change only through tw.schedules. */
  source: 'code' | 'config' | 'runtime';
  /** The queue of its tasks; null: the task's own. */
  queue: string | null;
  /** Its tasks' arguments as compact JSON (args, then kwargs when there are any), cut when long. */
  argsPreview: string;
  paused: boolean;
  /** When it fires next; null when paused, or when it never fires again. */
  nextFireAt: number | null;
  /** The latest fire time a task was made for (a run now included), and that task. */
  lastFireAt: number | null;
  lastTaskId: string | null;
  /** That task's state now; null when there is none, or it was purged. */
  lastTaskState: TaskState | null;
}

export interface SchedulesJson {
  now: number;
  schedules: ScheduleJson[];
}

export interface ActionResultJson {
  /** What changed, in a sentence. */
  message: string;
  task?: TaskDetailJson;
  /** A schedule action: the schedule as it is now. */
  schedule?: ScheduleJson;
  /** Bulk retry: tasks retried (or, dry run, that would be). */
  retried?: number;
  /** Purge: tasks deleted (or, dry run, that would be). */
  deleted?: number;
  /** Pause or resume: the queue's state now. */
  paused?: boolean;
  dryRun?: boolean;
}

export interface ErrorJson {
  error: { code: string; message: string };
}

/** A live update: tasks created, finished, failed or requeued since the last one. */
export interface ChangeEventJson {
  ids: string[];
  queues: string[];
}

/** What the page's <meta name="tw-dashboard"> carries. */
export interface PageConfig {
  csrfToken: string;
  readOnly: boolean;
  refreshMs: number;
  pageSize: number;
}
