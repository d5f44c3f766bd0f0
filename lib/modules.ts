// Loads the files that register tasks (--require / modules), resolved from the working directory
// like node's own -r, once per process or thread.
import * as path from 'node:path';
import { ConfigError } from './errors';

const loaded = new Set<string>();

export function resolveModulePath(specifier: string, cwd = process.cwd()): string {
  const request = specifier.startsWith('.') || path.isAbsolute(specifier) ? path.resolve(cwd, specifier) : specifier;
  try {
    return require.resolve(request, { paths: [cwd] });
  } catch {
    throw new ConfigError(`cannot find task module "${specifier}" (from ${cwd}); pass the compiled .js file that registers your tasks`);
  }
}

/** Requires each module once; an error thrown while loading names the module. */
export function loadTaskModules(specifiers: readonly string[], cwd = process.cwd()): void {
  for (const specifier of specifiers) {
    const file = resolveModulePath(specifier, cwd);
    if (loaded.has(file)) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(file);
    } catch (error) {
      throw new ConfigError(`loading task module ${specifier} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    loaded.add(file);
  }
}
