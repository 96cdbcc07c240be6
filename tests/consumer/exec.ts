import { spawn } from 'node:child_process';

/** The outcome of one command: its exit code (or signal) and everything it printed. */
export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when it was killed for running past `timeoutMs`. */
  readonly timedOut: boolean;
}

/** Options of {@link exec}. */
export interface ExecOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Killed (SIGKILL, the whole process group) after this long. */
  readonly timeoutMs: number;
}

/**
 * Runs `file args...` in its own process group, collecting stdout and stderr; never throws for a
 * failing command (the caller explains the failure with the output).
 */
export function exec(file: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      kill(); // servers a failed run left behind in its process group
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** The last `lines` lines of a command's output, indented, for a failure message. */
export function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n');
  const shown = all.slice(-lines).map((line) => `    | ${line}`);
  return (all.length > lines ? [`    | ... (${all.length - lines} earlier lines)`, ...shown] : shown).join(
    '\n',
  );
}

/** How a command ended, in words. */
export function describeEnd(result: ExecResult, timeoutMs: number): string {
  if (result.timedOut) return `was killed after ${Math.round(timeoutMs / 1000)} s`;
  if (result.signal) return `was killed by ${result.signal}`;
  return `exited with code ${result.code}`;
}
