import { writeFully } from '../fs/files.js';
import { ioError } from './errors.js';
import { batchLength, nextWriterStep } from './file-decide.js';
import type { FileJournalCounters, LiveJournalFile } from './file-live.js';
import type { HighWaterMarks } from './high-water.js';
import { encodeRecord, type JournalRecord } from './records.js';

/** A group commit holds at most this many bytes (more pending records go to the next one). */
const MAX_BATCH_BYTES = 1024 * 1024;

/**
 * How long (ms) a batch of intents only ({@link GroupCommitWriter.writeTracked}) may wait for the
 * fsync of a later batch to cover it before it gets one of its own.
 */
const INTENT_SYNC_DELAY_MS = 20;

interface Settle<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

/** Work for the writer: a record to make durable, or a step that needs the file to itself. */
type Task =
  | {
      readonly kind: 'record';
      readonly record: JournalRecord;
      readonly line: Buffer;
      readonly done: Settle<void>;
      /**
       * Told once the batch's write succeeded (before its fsync). A batch of such records only
       * (intents) takes effect at its write, and its fsync is the next batch's (or its own after
       * {@link INTENT_SYNC_DELAY_MS}): the record that follows an intent is usually its write's
       * own, made moments later, and one fsync covers both.
       */
      readonly written?: Settle<void> | undefined;
    }
  | { readonly kind: 'exclusive'; readonly run: () => unknown; readonly done: Settle<unknown> };

type RecordTask = Extract<Task, { kind: 'record' }>;

/** What the writer needs besides the live file. */
export interface GroupCommitWriterDeps {
  /** The journal's name (errors' `target`). */
  readonly name: string;
  /** fdatasync after each write (`fsync` option). */
  readonly fsync: boolean;
  /** The high-water marks, updated as appends take effect. */
  readonly marks: HighWaterMarks;
  /** The journal's counters (`appends`, `resolves`, `writes`, `syncs` are counted here). */
  readonly counters: FileJournalCounters;
  /** Opens the file (once; retried after a failure) when the writer finds it not open. */
  ensureOpen(): Promise<void>;
  /** Called after each successful group commit (the automatic compaction's check). */
  committed(): void;
}

/**
 * The file journal's single writer (the apply step; {@link batchLength} and
 * {@link nextWriterStep} in file-decide.ts decide): a queue of records and exclusive steps,
 * worked off in order. The records queued together share one write and one fdatasync (group
 * commit) and take effect (in the live file's state, the marks and the counters) only once
 * durable; an exclusive step runs with no write in flight, after everything queued before it.
 * A failed write is cut off the file and rejects its batch; a failed fsync (or cut) breaks the
 * journal.
 *
 * @internal
 */
export class GroupCommitWriter {
  readonly #live: LiveJournalFile;
  readonly #deps: GroupCommitWriterDeps;
  readonly #queue: Task[] = [];
  #pumping = false;
  /** Records written (intents) that wait for an fsync to be durable. */
  #unsynced: Settle<void>[] = [];
  #syncTimer: NodeJS.Timeout | undefined;

  constructor(live: LiveJournalFile, deps: GroupCommitWriterDeps) {
    this.#live = live;
    this.#deps = deps;
  }

  /** True while work is queued or running, or records written wait for their fsync. */
  get busy(): boolean {
    return this.#pumping || this.#queue.length > 0 || this.#unsynced.length > 0;
  }

  /** Queues `record`; resolves once it is durable and has taken effect. */
  write(record: JournalRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#enqueue({ kind: 'record', record, line: encodeRecord(record), done: { resolve, reject } });
    });
  }

  /**
   * Queues `record` as {@link write} does; `written` resolves as soon as its batch's write
   * succeeded (before the fsync), `durable` as `write`'s promise.
   */
  writeTracked(record: JournalRecord): { written: Promise<void>; durable: Promise<void> } {
    let written: Settle<void> | undefined;
    const writtenPromise = new Promise<void>((resolve, reject) => {
      written = { resolve, reject };
    });
    const durable = new Promise<void>((resolve, reject) => {
      this.#enqueue({
        kind: 'record',
        record,
        line: encodeRecord(record),
        done: { resolve, reject },
        written,
      });
    });
    // Settled by `done` too (first settle wins), so a rejection of either is seen by either.
    void durable.then(written!.resolve, written!.reject);
    return { written: writtenPromise, durable };
  }

  /** Runs `run` with no write in flight, after everything queued before it. */
  exclusive<T>(run: () => T | Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#enqueue({ kind: 'exclusive', run, done: { resolve: resolve as (v: unknown) => void, reject } });
    });
  }

  #enqueue(task: Task): void {
    this.#queue.push(task);
    if (!this.#pumping) {
      this.#pumping = true;
      // Started after the current tick: records submitted together share one write and fsync.
      queueMicrotask(() => void this.#pump());
    }
  }

  async #pump(): Promise<void> {
    const queue = this.#queue;
    const live = this.#live;
    try {
      while (queue.length > 0) {
        if (live.handle === undefined) {
          try {
            await this.#deps.ensureOpen();
          } catch (err) {
            for (const task of queue.splice(0)) task.done.reject(err);
            continue;
          }
        }
        const head = queue[0]!;
        const step = nextWriterStep({ head: head.kind, broken: live.broken !== undefined });
        if (step === 'commit') {
          await this.#commit(queue.splice(0, batchLength(queue, MAX_BATCH_BYTES)) as RecordTask[]);
          continue;
        }
        // 'reject' (a record on a broken journal) or 'run' (an exclusive step).
        queue.shift();
        if (head.kind === 'record') {
          head.done.reject(live.broken);
          continue;
        }
        try {
          head.done.resolve(await head.run());
        } catch (err) {
          head.done.reject(err);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** One group commit: one write and one fsync for the batch, then the records take effect. */
  async #commit(batch: RecordTask[]): Promise<void> {
    const live = this.#live;
    const { name, fsync, marks, counters } = this.#deps;
    const file = live.handle!;
    const bytes = batch.length === 1 ? batch[0]!.line : Buffer.concat(batch.map((t) => t.line));
    const before = live.fileBytes;
    try {
      await writeFully(file, bytes);
    } catch (err) {
      const error = ioError(err, 'write its file', name);
      try {
        await file.truncate(before); // cut off whatever part of the batch reached the file
        if (fsync) await file.datasync();
      } catch (cutErr) {
        live.broken = ioError(cutErr, 'cut a failed write off its file; it is broken until reopened', name);
      }
      for (const task of batch) task.done.reject(error);
      return;
    }
    for (const task of batch) task.written?.resolve();
    const later = fsync && batch.every((t) => t.written !== undefined);
    if (fsync && !later) {
      try {
        await file.datasync();
        counters.syncs++;
      } catch (err) {
        live.broken = ioError(err, 'fsync its file; it is broken until reopened', name);
        for (const task of batch) task.done.reject(live.broken);
        this.#settleUnsynced(live.broken);
        return;
      }
      this.#settleUnsynced(undefined);
    }
    counters.writes++;
    live.fileBytes += bytes.length;
    for (const task of batch) {
      const record = task.record;
      if (record.t === 'append') {
        live.state.append(record.e, task.line.length);
        marks.append(record.e);
        counters.appends++;
      } else if (record.t === 'resolve') {
        live.state.resolve(record.id, record.target);
        counters.resolves++;
      }
      if (later) this.#unsynced.push(task.done);
      else task.done.resolve();
    }
    if (later) this.#syncSoon();
    this.#deps.committed();
  }

  /** Gives the intents written without an fsync one of their own, unless a batch's comes first. */
  #syncSoon(): void {
    if (this.#syncTimer !== undefined) return;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      if (this.#unsynced.length > 0) this.syncNow().catch(() => {});
    }, INTENT_SYNC_DELAY_MS);
    this.#syncTimer.unref?.();
  }

  /** Fsyncs the records written without one (intents), after everything queued before. */
  syncNow(): Promise<void> {
    return this.exclusive(async () => {
      const live = this.#live;
      if (this.#unsynced.length === 0 || live.handle === undefined) return;
      try {
        await live.handle.datasync();
        this.#deps.counters.syncs++;
      } catch (err) {
        live.broken = ioError(err, 'fsync its file; it is broken until reopened', this.#deps.name);
        this.#settleUnsynced(live.broken);
        return;
      }
      this.#settleUnsynced(undefined);
    });
  }

  /** The intents written since the last fsync are durable now (`error`: they never will be). */
  #settleUnsynced(error: unknown): void {
    const waiting = this.#unsynced;
    if (waiting.length === 0) return;
    this.#unsynced = [];
    for (const done of waiting) {
      if (error === undefined) done.resolve();
      else done.reject(error);
    }
  }
}
