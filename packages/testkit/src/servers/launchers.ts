import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The folder that holds the `.cjs` launcher scripts.
 *
 * From the sources (vitest) this module is `src/servers/launchers.ts` and the scripts sit in
 * `src/servers/launchers/`. From the build, the code is bundled into `dist/index.js` (or
 * `dist/index.cjs`) and the build copies the scripts to `dist/launchers/` (see `tsup.config.ts`).
 * The published package also ships `src/`, which is the last fallback.
 */
export function launchersDir(): string {
  const here = import.meta.url;
  const candidates = [
    './launchers/',
    '../launchers/',
    '../src/servers/launchers/',
    '../../src/servers/launchers/',
  ];
  for (const candidate of candidates) {
    const dir = fileURLToPath(new URL(candidate, here));
    if (existsSync(`${dir}s3rver.cjs`) && existsSync(`${dir}exit-with-parent.cjs`)) return dir;
  }
  throw new Error(
    `@failover/testkit: launcher scripts not found next to ${fileURLToPath(here)} (looked in ${candidates.join(', ')})`,
  );
}

/** The path of one launcher script, e.g. `launcherPath('s3rver.cjs')`. */
export function launcherPath(file: 's3rver.cjs' | 'exit-with-parent.cjs' | 'keep-alive.cjs'): string {
  return `${launchersDir()}${file}`;
}
