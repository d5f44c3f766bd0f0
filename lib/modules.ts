// Loads the files that register tasks (--require / modules), resolved from the working directory
// like node's own -r, once per process or thread: require() first, import() for an ES module that
// this Node cannot require. A file Node cannot run gets an error that names the missing step.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from './errors';

const loaded = new Set<string>();

/** A real dynamic import: tsc compiles import() to require() under CommonJS. */
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

const TYPESCRIPT_FILE = /\.(c|m)?tsx?$/;

export function resolveModulePath(specifier: string, cwd = process.cwd()): string {
  const request = specifier.startsWith('.') || path.isAbsolute(specifier) ? path.resolve(cwd, specifier) : specifier;
  try {
    return require.resolve(request, { paths: [cwd] });
  } catch {
    const hint = TYPESCRIPT_FILE.test(specifier)
      ? 'a TypeScript file must be compiled first: pass the compiled .js file (e.g. --require ./dist/tasks.js)'
      : 'pass the compiled .js file that registers your tasks (e.g. --require ./dist/tasks.js)';
    throw new ConfigError(`cannot find task module "${specifier}" (from ${cwd}); ${hint}`);
  }
}

/** Why Node could not run `file`, and what to do about it. */
function loadHint(specifier: string, file: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (TYPESCRIPT_FILE.test(file)) {
    return `${message}. ${specifier} is TypeScript, which Node does not run here: compile it with tsc and pass the .js file ` +
      '(--require ./dist/tasks.js), or start Node with a TypeScript loader (NODE_OPTIONS="--import tsx")';
  }
  if (error instanceof SyntaxError && /Invalid or unexpected token|Unexpected token '@'|Unexpected character '@'/.test(message)) {
    return `${message}. Node cannot parse ${specifier}: if it uses decorators, compile with "target": "ES2022" (tsc leaves ` +
      'decorators as they are for ESNext, and Node does not run decorator syntax yet)';
  }
  return message;
}

async function loadOne(file: string): Promise<void> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(file);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
    await importModule(pathToFileURL(file).href);
  }
}

/** Loads each module once; an error thrown while loading names the module and the fix. */
export async function loadTaskModules(specifiers: readonly string[], cwd = process.cwd()): Promise<void> {
  for (const specifier of specifiers) {
    const file = resolveModulePath(specifier, cwd);
    if (loaded.has(file)) continue;
    try {
      await loadOne(file);
    } catch (error) {
      throw new ConfigError(`loading task module ${specifier} failed: ${loadHint(specifier, file, error)}`);
    }
    loaded.add(file);
  }
}
