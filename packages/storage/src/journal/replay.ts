import type { FileHandle } from 'node:fs/promises';
import { JournalError } from './errors.js';
import { type ScanResult, scanLines } from './lines.js';
import { decodeLine, JOURNAL_FORMAT } from './records.js';
import type { JournalState } from './state.js';

/** Where replay reports what it skipped. */
export interface ReplayReport {
  /** A complete line that could not be used. */
  corrupt(line: number, reason: string): void;
  /** The header line holds the journal's id. */
  journalId?(id: string): void;
}

/**
 * Replays the journal file into `state`, record by record, as the live journal applied them.
 * Corrupt lines are reported and skipped; bytes after the last newline are left for the caller
 * (a torn write). Throws a `JournalError` (`kind: 'invalid'`) for a file of a newer format,
 * before changing anything on disk.
 */
export async function replayFile(
  handle: FileHandle,
  state: JournalState,
  report: ReplayReport,
  journal: string,
): Promise<ScanResult> {
  return await scanLines(handle, (line, number) => {
    const decoded = decodeLine(line);
    if ('error' in decoded) {
      report.corrupt(number, decoded.error);
      return;
    }
    const record = decoded.record;
    switch (record.t) {
      case 'header':
        if (record.format > JOURNAL_FORMAT) {
          throw new JournalError(
            'invalid',
            `Journal ${JSON.stringify(journal)} was written in format ${record.format}; this version reads format ${JOURNAL_FORMAT}`,
            { target: journal },
          );
        }
        if (number !== 1) report.corrupt(number, 'header in the middle of the file');
        else {
          if (record.newest !== undefined) state.noteVersion(record.newest);
          if (record.id !== undefined) report.journalId?.(record.id);
        }
        return;
      case 'append':
        state.append(record.e, line.length + 1);
        return;
      case 'resolve':
        state.resolve(record.id, record.target);
        return;
    }
  });
}
