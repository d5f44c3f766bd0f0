// Reads tw-worker settings from a config file or package.json ("tw-worker" key) with cosmiconfig,
// so an app does not repeat flags. Paths in the file are relative to the file.
import * as path from 'node:path';
import { cosmiconfig } from 'cosmiconfig';
import { ConfigError, type TaskWorkerOptions } from '../lib/index';

const SEARCH_PLACES = ['package.json', '.tw-workerrc', '.tw-workerrc.json', 'tw-worker.config.js', 'tw-worker.config.cjs'];

export interface LoadedConfigFile {
  options: TaskWorkerOptions;
  file: string | undefined;
}

export async function loadConfigFile(explicitPath: string | undefined, cwd = process.cwd()): Promise<LoadedConfigFile> {
  const explorer = cosmiconfig('tw-worker', { searchPlaces: SEARCH_PLACES, stopDir: cwd });
  let found;
  try {
    found = explicitPath ? await explorer.load(path.resolve(cwd, explicitPath)) : await explorer.search(cwd);
  } catch (error) {
    throw new ConfigError(`cannot read config file ${explicitPath ?? ''}: ${(error as Error).message}`);
  }
  if (!found || found.isEmpty) return { options: {}, file: found?.filepath };
  const config = found.config as unknown;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ConfigError(`${found.filepath}: the tw-worker config must be an object of options, e.g. { "concurrency": 4 }`);
  }
  const options = { ...(config as TaskWorkerOptions) };
  const base = path.dirname(found.filepath);
  if (Array.isArray(options.modules)) {
    options.modules = options.modules.map((m) => (typeof m === 'string' && m.startsWith('.') ? path.resolve(base, m) : m));
  }
  if (typeof options.moduleRoot === 'string') options.moduleRoot = path.resolve(base, options.moduleRoot);
  return { options, file: found.filepath };
}

/** Flags win over the file; keys a flag did not set come from the file. */
export function mergeOptions(fromFile: TaskWorkerOptions, fromFlags: TaskWorkerOptions): TaskWorkerOptions {
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [key, value] of Object.entries(fromFlags)) if (value !== undefined) merged[key] = value;
  return merged as TaskWorkerOptions;
}
