import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { History, Op } from './jepsen-check.js';
import type { ChildConfig, FromChild, OpRequest, ToChild } from './jepsen-protocol.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const childScript = fileURLToPath(new URL('./jepsen-child.ts', import.meta.url));

/** What the child said once the faults were over. */
export type Finished = Extract<FromChild, { type: 'finished' }>;

/**
 * One run of the writer child (jepsen-child.ts). Records each call's invocation (when it is sent)
 * and completion (when the child reports it) in the history; when the process dies (SIGKILL),
 * every call it had started and not completed becomes `crash` (indeterminate), and calls it never
 * started (no `invoke` message from it) are marked as never made.
 */
export class WriterProcess {
  readonly #proc: ChildProcess;
  readonly #history: History;
  /** Calls sent to the child and not completed; `started` once its `invoke` message came. */
  readonly #inFlight = new Map<number, { op: Op; done: () => void; started: boolean }>();
  readonly #onEvent: (name: string, detail: string) => void;
  #stderr = '';
  #finished: ((f: Finished) => void) | undefined;
  /** Resolves once the child is ready for calls. */
  readonly ready: Promise<void>;
  /** Resolves once the process is gone and its channel closed (every message received). */
  readonly closed: Promise<void>;
  #killed = false;

  /** Spawns the child, which loads its modules and waits for {@link start}. */
  constructor(history: History, onEvent: (name: string, detail: string) => void) {
    this.#history = history;
    this.#onEvent = onEvent;
    this.#proc = spawn(process.execPath, ['--import', 'tsx', childScript], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: {
        ...process.env,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    this.#proc.stderr!.setEncoding('utf8');
    this.#proc.stderr!.on('data', (s: string) => {
      this.#stderr = (this.#stderr + s).slice(-4000);
    });
    let ready!: () => void;
    let failed!: (err: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    this.ready.catch(() => undefined); // a standby discarded unstarted is not an error
    this.#proc.on('message', (m: FromChild) => {
      if (m.type === 'ready') ready();
      else this.#receive(m);
    });
    this.closed = new Promise<void>((resolve) => {
      this.#proc.once('close', (code, signal) => {
        failed(new Error(`writer child exited before it was ready (${signal ?? code}): ${this.#stderr}`));
        for (const { op, done, started } of this.#inFlight.values()) {
          // A call the child never started (its `invoke` never came) was never made.
          if (started) op.status = 'crash';
          else op.invokedAt = -1;
          done();
        }
        this.#inFlight.clear();
        if (!this.#killed && this.#finished === undefined && code !== 0) {
          this.unexpectedExit = `writer child exited by itself (${signal ?? code}): ${this.#stderr}`;
        }
        resolve();
      });
    });
  }

  /** The child's process id. */
  get pid(): number | undefined {
    return this.#proc.pid;
  }

  /** Opens the child's store (on the journal a killed predecessor left). */
  start(config: ChildConfig): Promise<void> {
    this.#send({ type: 'start', config });
    return this.ready;
  }

  /** Set when the child died without being killed by the harness. */
  unexpectedExit: string | undefined;

  /** Asks the child to make one call; resolves when it completed or the child died. */
  run(op: Op, request: OpRequest): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#inFlight.set(op.id, { op, done: resolve, started: false });
      // Invoked when sent, before the child can act on it: stamped when the child's `invoke`
      // message arrived, a call could take effect before its invocation in the history (the child
      // is ahead of this process's queue of messages from both instances), and a read on another
      // instance that saw it would be judged against a history where it had not started yet.
      op.invokedAt = this.#history.tick();
      op.invokedMs = Date.now();
      this.#send(request);
    });
  }

  /** The DNS fault of a proxy host changed. */
  dns(host: string, failing: boolean): void {
    this.#send({ type: 'dns', host, failing });
  }

  /** Faults are over: the child repairs, reconciles, reads every key and exits. */
  finish(prefix: string, keys: readonly string[]): Promise<Finished> {
    return new Promise<Finished>((resolve, reject) => {
      this.#finished = resolve;
      void this.closed.then(() => reject(new Error(`writer child exited while finishing: ${this.#stderr}`)));
      this.#send({ type: 'finish', prefix, keys });
    });
  }

  /** Faults are over and another instance settles: the child closes its store and exits. */
  async close(): Promise<void> {
    this.#send({ type: 'close' });
    await this.closed;
  }

  /** Stops a standby that was never started. */
  discard(): void {
    this.#killed = true;
    this.#proc.kill('SIGKILL');
  }

  /** SIGKILL: no flush, no close; the journal stays as the crash leaves it. */
  kill(): void {
    this.#killed = true;
    this.#proc.kill('SIGKILL');
  }

  /**
   * SIGSTOP, then SIGCONT after `ms`: the process stands still with its calls in flight (a GC
   * pause, a frozen VM), then finds every timer due and every answer waiting at once.
   */
  async stall(ms: number): Promise<void> {
    if (!this.alive) return;
    this.#proc.kill('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, ms));
    // Not when it has exited meanwhile (a crash landed on the stalled process).
    if (!this.#exited) this.#proc.kill('SIGCONT');
  }

  get alive(): boolean {
    return !this.#exited && !this.#killed;
  }

  get #exited(): boolean {
    return this.#proc.exitCode !== null || this.#proc.signalCode !== null;
  }

  #send(message: ToChild): void {
    if (!this.#proc.connected) return;
    this.#proc.send(message, (err) => {
      if (err) {
        // The child is dying; its close settles what was in flight.
      }
    });
  }

  #receive(m: FromChild): void {
    if (m.type === 'event') {
      this.#onEvent(m.name, m.detail);
      return;
    }
    if (m.type === 'finished') {
      this.#finished?.(m);
      return;
    }
    if (m.type === 'ready') return;
    const entry = this.#inFlight.get(m.id);
    if (entry === undefined) return;
    const { op } = entry;
    if (m.type === 'invoke') {
      entry.started = true;
      return;
    }
    op.completedAt = this.#history.tick();
    op.completedMs = Date.now();
    if (m.type === 'ok') {
      op.status = 'ok';
      op.version = m.version;
      op.read = m.read;
      op.keys = m.keys;
      if (m.listedFrom !== undefined) op.listedFrom = m.listedFrom;
    } else {
      op.status = 'fail';
      op.errorKind = m.kind;
      op.message = m.message;
    }
    this.#inFlight.delete(m.id);
    entry.done();
  }
}

/**
 * The writer of the soak across its crashes: the running child, restarted after each kill, and
 * the next one spawned ahead (a warm standby: modules loaded, no store yet), so a restart costs
 * opening the store, not starting Node and loading the SDKs.
 */
export class Writers {
  readonly #history: History;
  readonly #onEvent: (name: string, detail: string) => void;
  readonly #config: () => ChildConfig;
  #standby: WriterProcess | undefined;
  #current: Promise<WriterProcess> | undefined;
  #stopping = false;
  /** The child started last (it may be dead). */
  latest: WriterProcess | undefined;
  /** The first child that died by itself. */
  harnessError: string | undefined;

  constructor(history: History, onEvent: (name: string, detail: string) => void, config: () => ChildConfig) {
    this.#history = history;
    this.#onEvent = onEvent;
    this.#config = config;
    this.#standby = new WriterProcess(history, onEvent);
  }

  /** The running writer; starts the next one (on the same journal) when the last was killed. */
  async live(): Promise<WriterProcess> {
    for (;;) {
      const w = await (this.#current ?? this.#start());
      if (w.alive) return w;
      await w.closed;
    }
  }

  /** A `dns` fault changed: tell the running writer. */
  dns(host: string, failing: boolean): void {
    this.latest?.dns(host, failing);
  }

  /** No more restarts: the standby goes. */
  stopRestarting(): void {
    this.#stopping = true;
    this.#standby?.discard();
    this.#standby = undefined;
  }

  #start(): Promise<WriterProcess> {
    const w = this.#standby ?? new WriterProcess(this.#history, this.#onEvent);
    this.#standby = this.#stopping ? undefined : new WriterProcess(this.#history, this.#onEvent);
    this.latest = w;
    const current = w.start(this.#config()).then(() => w);
    this.#current = current;
    void w.closed.then(() => {
      if (w.unexpectedExit !== undefined) this.harnessError ??= w.unexpectedExit;
      if (this.latest === w) this.#current = undefined;
    });
    return current;
  }
}
