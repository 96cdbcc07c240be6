import { type ChildProcess, spawn } from 'node:child_process';

/** How to start a server in a child Node process and recognise that it is ready. */
export interface ChildServerSpec<Ready> {
  /** A short name for error messages, e.g. `s3rver`. */
  name: string;
  /** Arguments after `process.execPath` (Node flags, the script, its arguments). */
  args: readonly string[];
  /** Working directory of the child. */
  cwd?: string;
  /**
   * Called with each line the child prints on stdout until it returns a value: that value is what
   * {@link startChildServer} resolves with.
   */
  ready(line: string): Ready | undefined;
  /** How long to wait for the ready line, in milliseconds. Default: 30 000. */
  startTimeoutMs?: number;
}

/** A running child server. */
export interface ChildServer<Ready> {
  /** What the spec's `ready` returned. */
  readonly ready: Ready;
  /** The child's process id. */
  readonly pid: number;
  /** True once the child process has exited. */
  readonly exited: boolean;
  /** Kills the child and waits until it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every child still running when the parent exits (the children also watch their stdin). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Starts `process.execPath ...args` and resolves once a stdout line satisfies `spec.ready`.
 *
 * The child's stdin is a pipe the parent never writes to: the launchers preload
 * `exit-with-parent.cjs`, which exits when that pipe ends, so a child never outlives its parent.
 * Once ready, the child's handles are unref'd so a forgotten server does not keep the parent alive;
 * the parent kills it on exit.
 */
export async function startChildServer<Ready>(spec: ChildServerSpec<Ready>): Promise<ChildServer<Ready>> {
  installExitHook();
  const child = spawn(process.execPath, [...spec.args], {
    cwd: spec.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  live.add(child);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      resolve();
    });
    // A spawn failure emits 'error' and no 'exit'.
    child.once('error', () => {
      exited = true;
      live.delete(child);
      resolve();
    });
  });

  const output: string[] = [];
  const remember = (text: string): void => {
    output.push(text);
    if (output.length > 50) output.shift();
  };
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', remember);

  let ready: Ready;
  try {
    ready = await waitForReady(child, spec, remember);
  } catch (err) {
    child.kill('SIGKILL');
    await exitPromise;
    const tail = output.join('').trim().slice(-2000);
    throw new Error(
      `Could not start ${spec.name}: ${(err as Error).message}${tail ? `\n--- ${spec.name} output ---\n${tail}` : ''}`,
      { cause: err },
    );
  }
  // Keep reading both pipes so the child never blocks on a full pipe buffer.
  child.stdout?.resume();
  child.stderr?.resume();
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }

  let stopping: Promise<void> | undefined;
  return {
    ready,
    pid: child.pid ?? -1,
    get exited() {
      return exited;
    },
    stop() {
      stopping ??= (async () => {
        if (!exited) {
          // Keep the parent alive until the child is gone (its handles were unref'd once ready).
          child.ref();
          child.kill('SIGKILL');
        }
        await exitPromise;
        child.stdin?.destroy();
        child.stdout?.destroy();
        child.stderr?.destroy();
      })();
      return stopping;
    },
  };
}

async function waitForReady<Ready>(
  child: ChildProcess,
  spec: ChildServerSpec<Ready>,
  remember: (text: string) => void,
): Promise<Ready> {
  const stdout = child.stdout;
  if (!stdout) throw new Error('no stdout pipe');
  stdout.setEncoding('utf8');
  const timeoutMs = spec.startTimeoutMs ?? 30_000;
  return new Promise<Ready>((resolve, reject) => {
    let buffered = '';
    const cleanup = (): void => {
      clearTimeout(timer);
      stdout.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    const onData = (text: string): void => {
      remember(text);
      buffered += text;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        const value = line ? spec.ready(line) : undefined;
        if (value !== undefined) {
          cleanup();
          resolve(value);
          return;
        }
        newline = buffered.indexOf('\n');
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(new Error(`the process exited before it was ready (code ${code}, signal ${signal})`));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
