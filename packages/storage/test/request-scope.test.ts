import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./request-scope-child.ts', import.meta.url));
const major = Number(process.versions.node.split('.')[0]);

describe('RequestScope (the request watchdog’s AsyncLocalStorage)', () => {
  it('turns promise hooks on only while something holds it, and off again once idle', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', child], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const seen = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, boolean>;
    expect(seen.fresh).toBe(false);
    // Off again after the idle time: the application's promises no longer pay for the hooks.
    expect(seen.idle).toBe(false);
    if (major < 24) {
      // Node 20 and 22: an AsyncLocalStorage in use needs the hooks.
      expect(seen).toEqual({ fresh: false, during: true, held: true, idle: false, again: true });
    }
  }, 150_000);
});
