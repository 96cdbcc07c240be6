/**
 * The file journal's decisions: pure functions (no clock, no I/O), table-tested in
 * test/journal-file-decide.test.ts. `openJournalFile` (file-open.ts), `GroupCommitWriter`
 * (file-writer.ts) and `FileCompaction` (file-compaction.ts) gather the facts and carry the
 * answers out.
 *
 * @internal
 */

/** What replaying the file found: its size, and where its last whole line ends. */
export interface ReplayedFile {
  /** The file's size, bytes. */
  readonly size: number;
  /** The end of its last whole line, bytes (a torn line after it is cut off). */
  readonly end: number;
}

/** What opening does to the file after replaying it. */
export interface OpenRepair {
  /** Bytes of a torn last line to cut off (0 for none). */
  readonly cutBytes: number;
  /** The file holds no line (new, or only a torn one): write the header line. */
  readonly writeHeader: boolean;
}

/** Decides how an opened file is repaired: its torn tail cut off, a header written into an empty one. */
export function planOpenRepair(f: ReplayedFile): OpenRepair {
  return { cutBytes: Math.max(0, f.size - f.end), writeHeader: f.end === 0 };
}

/** A task in the writer's queue, as far as batching goes: a record's line, or an exclusive step. */
export type QueuedTask =
  | { readonly kind: 'record'; readonly line: { readonly length: number } }
  | { readonly kind: 'exclusive' };

/**
 * How many tasks at the head of the queue the next group commit takes: the records there, up to
 * `maxBytes` in all, and at least one (a line larger than `maxBytes` goes alone); 0 when the head
 * is not a record.
 */
export function batchLength(queue: readonly QueuedTask[], maxBytes: number): number {
  let n = 0;
  let bytes = 0;
  for (const task of queue) {
    if (task.kind !== 'record') break;
    if (n > 0 && bytes + task.line.length > maxBytes) break;
    n++;
    bytes += task.line.length;
  }
  return n;
}

/** What the writer knows before its next step (the file is open). */
export interface WriterFacts {
  /** The task at the head of the queue. */
  readonly head: 'record' | 'exclusive';
  /** An fsync (or a cut of a failed write) failed: the journal is broken until reopened. */
  readonly broken: boolean;
}

/**
 * The writer's next step once the file is open: `run` an exclusive step (also on a broken
 * journal: compaction and reads decide for themselves); `reject` a record on a broken journal;
 * else `commit` a batch of records.
 */
export type WriterStep = 'run' | 'reject' | 'commit';

/** Decides the writer's next step (see {@link WriterStep}). */
export function nextWriterStep(f: WriterFacts): WriterStep {
  if (f.head === 'exclusive') return 'run';
  return f.broken ? 'reject' : 'commit';
}

/** What is known after a commit, for the automatic compaction. */
export interface CompactionFacts {
  /** A compaction is running. */
  readonly compacting: boolean;
  /** The journal is closing. */
  readonly closing: boolean;
  /** The file's size, bytes. */
  readonly fileBytes: number;
  /** The size from which to compact (`compactAfterBytes`, further after a failed compaction). */
  readonly compactAt: number;
  /** The bytes of the lines still needed (the pending entries' own). */
  readonly liveBytes: number;
}

/**
 * True when a compaction starts: none running, not closing, the file at least `compactAt` and at
 * least half of it obsolete.
 */
export function shouldCompact(f: CompactionFacts): boolean {
  if (f.compacting || f.closing) return false;
  return f.fileBytes >= f.compactAt && f.fileBytes >= 2 * f.liveBytes;
}
