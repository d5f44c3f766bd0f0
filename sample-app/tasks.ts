// The sample app's background tasks. The web process imports this file so routes can name the
// tasks (and have their arguments type-checked); the worker loads it too:
//   node dist/cli/tw-worker.js --require ./dist/sample-app/tasks.js
// Each handler checks its own arguments first (sample-app/limits.ts): the routes check them too, but
// a task can be created by name with any JSON, and a 20000x20000 thumbnail would allocate over a GB.
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentTask, Task, TaskOptions } from '../decorators/index'; // the light entry: pool threads load this file
import { integerArg, LIMITS, textArg } from './limits';
import { renderMandelbrot } from './mandelbrot';
import { encodePng } from './png';
import { sampleSettings } from './settings';

export interface WordReport {
  words: number;
  lines: number;
  characters: number;
  topWords: Array<{ word: string; count: number }>;
}

@Task('sample.tasks')
export class SampleTasks {
  /** Word statistics of a text: counts, and its most frequent words. */
  wordReport(text: string, top = 5): WordReport {
    textArg('text', text, LIMITS.reportText);
    integerArg('top', top, { min: 1, max: LIMITS.reportTop });
    const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
    const counts = new Map<string, number>();
    for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
    const topWords = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, top)
      .map(([word, count]) => ({ word, count }));
    return { words: words.length, lines: text.split('\n').length, characters: text.length, topWords };
  }

  /**
   * "Sends" an email by appending it to sample-data/outbox.log. The message id is the task id: a
   * task can run twice (at-least-once), and a real mail API would drop the duplicate by that id.
   */
  async sendEmail(to: string, subject: string, body: string): Promise<{ messageId: string; outbox: string }> {
    textArg('to', to, LIMITS.emailAddress);
    textArg('subject', subject, LIMITS.emailSubject);
    textArg('body', body, LIMITS.emailBody);
    const { id } = currentTask();
    const { dataDir } = sampleSettings();
    await mkdir(dataDir, { recursive: true });
    const outbox = path.join(dataDir, 'outbox.log');
    const messageId = `<${id}@sample.task-worker>`;
    await appendFile(outbox, `--- ${new Date().toISOString()}\nMessage-ID: ${messageId}\nTo: ${to}\nSubject: ${subject}\n\n${body}\n`);
    return { messageId, outbox };
  }

  /** Renders a Mandelbrot thumbnail to a PNG file: CPU-bound, so it runs in a worker thread. */
  async thumbnail(width: number, height: number): Promise<{ url: string; bytes: number }> {
    integerArg('width', width, LIMITS.thumbnailSide);
    integerArg('height', height, LIMITS.thumbnailSide);
    const { id } = currentTask();
    const dir = path.join(sampleSettings().dataDir, 'thumbnails');
    await mkdir(dir, { recursive: true });
    const png = encodePng(width, height, renderMandelbrot(width, height));
    const name = `${id}.png`;
    await writeFile(path.join(dir, name), png);
    return { url: `/thumbnails/${name}`, bytes: png.length };
  }

  /** Counts slowly, one second a step; stops early when aborted (timeout, or the worker stopping). */
  @TaskOptions({ timeout: 120 })
  async slowCount(seconds: number): Promise<{ counted: number }> {
    integerArg('seconds', seconds, LIMITS.slowSeconds);
    const { signal } = currentTask();
    for (let n = 1; n <= seconds; n++) await sleep(1000, undefined, { signal });
    return { counted: seconds };
  }

  /** Calls a supplier's API that is down: fails, is retried twice with backoff, then fails for good. */
  @TaskOptions({ maxRetries: 2 })
  syncInventory(sku: string): never {
    textArg('sku', sku, LIMITS.sku);
    const { attempt } = currentTask();
    throw new Error(`supplier API answered 503 Service Unavailable while syncing ${sku} (attempt ${attempt + 1} of 3)`);
  }
}
