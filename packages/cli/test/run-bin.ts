import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCli } from '../src/run.js';

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

/**
 * Runs the same command line in this process: `runCli(args, io)` with stdout and stderr captured
 * (plain streams, not terminals, like the bin's pipes), the config searched from `cwd` (default the
 * fixtures) and evaluated with `env` over this process's environment. The code is the bin's minus
 * its last three lines (flush and `process.exit(code)`), without the second or two each process
 * spends loading Node, tsx and the cloud SDKs. The SDKs read their own credentials from
 * `process.env`, not from `env`: see {@link withProcessEnv}. What only a process shows (the exit
 * status, a TypeScript config loaded through tsx) is covered by {@link runBin}.
 */
export async function runInProcess(
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>>; cwd?: string } = {},
): Promise<BinRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: options.cwd ?? FIXTURES,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  return { code, stdout, stderr };
}

/** Runs `fn` with `vars` set in `process.env` (where the cloud SDKs look), then restores them. */
export async function withProcessEnv<T>(
  vars: Readonly<Record<string, string>>,
  fn: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Parses the `--json` document a run printed (and fails clearly when it is not one). */
export function jsonOf(run: BinRun): Record<string, unknown> {
  try {
    return JSON.parse(run.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout is not one JSON document:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}
