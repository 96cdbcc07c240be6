import { FailoverError, type FailoverErrorOptions, type FailureKind } from '@failover/core';
import { errorCode } from '../fs/errors.js';

/**
 * An error of a journal. `kind` says what happened: `unavailable` when the journal could not read
 * or write its file (the disk failed, is full, or the journal is closed or broken), `invalid` for a
 * file it cannot read (a newer format), `precondition` when another process holds the journal's
 * lock (see {@link JournalLockedError}). `cause` keeps the filesystem's own error; `target` is the
 * journal's name. Messages name the journal and the error code, never file contents.
 */
export class JournalError extends FailoverError {
  constructor(kind: FailureKind, message: string, options: FailoverErrorOptions = {}) {
    super(kind, message, options);
  }
}

/**
 * Another live process (or another journal in this process) holds the lock of the journal's
 * directory: one directory has one writer (`kind: 'precondition'`).
 */
export class JournalLockedError extends JournalError {
  /** The lock file's path. */
  readonly lockFile: string;
  /** The process id recorded in the lock, when it could be read. */
  readonly holderPid: number | undefined;
  /** The host name recorded in the lock, when it could be read. */
  readonly holderHost: string | undefined;

  constructor(
    lockFile: string,
    holder: { pid?: number; host?: string },
    reason: string,
    options: FailoverErrorOptions = {},
  ) {
    super('precondition', `Journal is locked by another writer (${reason}); lock file: ${lockFile}`, options);
    this.lockFile = lockFile;
    this.holderPid = holder.pid;
    this.holderHost = holder.host;
  }
}

/**
 * A filesystem error as a {@link JournalError} (`kind: 'unavailable'`, or `auth` for permission
 * errors): the message names the journal, what it was doing and the error code; `cause` is the
 * error itself. A {@link FailoverError} is returned unchanged.
 */
export function ioError(err: unknown, doing: string, journal: string): FailoverError {
  if (err instanceof FailoverError) return err;
  const code = errorCode(err);
  const kind: FailureKind = code === 'EACCES' || code === 'EPERM' ? 'auth' : 'unavailable';
  return new JournalError(kind, `Journal ${JSON.stringify(journal)} could not ${doing}: ${code ?? 'error'}`, {
    cause: err,
    target: journal,
  });
}
