// Reads an event that came from Redis. Anyone who can publish on the server reaches every listener,
// so a message is a hint, never trusted: only one of the exact shape publish() writes gets through;
// anything else (not JSON, null, wrong types, too long) is refused here, before a listener sees it.
import type { TaskEvent } from './notifier';

/** Longest message read: a finished batch (200 ids) or a progress report (4,000 characters of info) is far below. */
export const MAX_EVENT_CHARS = 64 * 1024;
/** Most ids one event may name (a finished batch names at most 200). */
const MAX_EVENT_IDS = 1000;
/** Longest id or queue name read: task ids are 32 characters, queue names far shorter than this. */
const MAX_NAME_CHARS = 512;

const isName = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_CHARS;

/** The event in `text`, or a short reason it is refused. */
export function readEvent(text: string): TaskEvent | string {
  if (text.length > MAX_EVENT_CHARS) return `longer than ${MAX_EVENT_CHARS} characters`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const event = value as Record<string, unknown>;
  if (!isName(event.id)) return 'no string id';
  const read: TaskEvent = { id: event.id };
  if (event.ids !== undefined) {
    if (!Array.isArray(event.ids) || event.ids.length > MAX_EVENT_IDS || !event.ids.every(isName)) return 'ids is not a list of ids';
    read.ids = event.ids;
  }
  if (event.queue !== undefined) {
    if (!isName(event.queue)) return 'queue is not a name';
    read.queue = event.queue;
  }
  if (event.runAt !== undefined) {
    if (event.runAt !== null && (typeof event.runAt !== 'number' || !Number.isFinite(event.runAt))) return 'runAt is not a time';
    read.runAt = event.runAt;
  }
  if (event.progress !== undefined) {
    // Its fields are checked by parseProgress where it is read; here only that it is an object.
    if (typeof event.progress !== 'object' || event.progress === null || Array.isArray(event.progress)) return 'progress is not an object';
    read.progress = event.progress as TaskEvent['progress'];
  }
  return read;
}
