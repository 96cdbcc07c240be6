import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The package directory, and the bin's TypeScript source. */
export const CLI_DIR = join(here, '..');
export const BIN = join(CLI_DIR, 'src', 'bin.ts');
export const FIXTURES = join(here, 'fixtures');
/** tsx's loader by absolute URL, so the bin also runs from directories outside the repository. */
const TSX = pathToFileURL(join(CLI_DIR, '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** What one run of the bin printed and returned. */
export interface BinRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real `failover` bin in its own Node process, from source, as the examples run
 * (`node --conditions=source --import tsx`), with stdout and stderr as pipes (not a terminal).
 * Asynchronous on purpose: the local clouds' fault proxies and GCS emulator run in this process.
 */
export function runBin(
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>>; cwd?: string } = {},
): Promise<BinRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', TSX, BIN, ...args], {
      cwd: options.cwd ?? FIXTURES,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parses the `--json` document a run printed (and fails clearly when it is not one). */
export function jsonOf(run: BinRun): Record<string, unknown> {
  try {
    return JSON.parse(run.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not one JSON document:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}
