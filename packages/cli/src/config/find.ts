import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from '../errors.js';

/** The file names searched for in the working directory, in this order. */
export const CONFIG_FILE_NAMES: readonly string[] = Object.freeze([
  'failover.config.mjs',
  'failover.config.js',
  'failover.config.cjs',
  'failover.config.ts',
  'failover.config.mts',
  'failover.config.json',
]);

/**
 * The config file to load: `--config <path>` (relative to `cwd`), or the first of
 * {@link CONFIG_FILE_NAMES} in `cwd`. Throws a `config` {@link CliError} when there is none.
 */
export function findConfigFile(cwd: string, explicit: string | undefined): string {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new CliError('config', `--config: no file at ${path}`);
    }
    return path;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const path = resolve(cwd, name);
    if (existsSync(path) && statSync(path).isFile()) return path;
  }
  throw new CliError(
    'config',
    `No config file: pass --config <path> or create one of ${CONFIG_FILE_NAMES.join(', ')} in ${cwd} (see docs/cli.md)`,
  );
}
