import type { TypedEmitter } from '@failover/core';
import type { FileJournalEvents } from './events.js';
import type { FileJournalCounters } from './file-live.js';
import type { OpenReports } from './file-open.js';

/**
 * How the file journal reports what opening its file found: counted, and as `corrupt` and
 * `truncated` events; a corrupt line nobody listens for becomes a process warning
 * (`FAILOVER_JOURNAL_CORRUPT`).
 *
 * @internal
 */
export function fileOpenReports(
  journal: string,
  file: string,
  events: TypedEmitter<FileJournalEvents>,
  counters: FileJournalCounters,
): OpenReports {
  return {
    corrupt: (line, reason) => {
      counters.corruptLines++;
      if (events.has('corrupt')) {
        events.emit('corrupt', { journal, file, line, reason });
      } else {
        process.emitWarning(
          `Journal ${JSON.stringify(journal)}: skipped corrupt line ${line} of ${file} (${reason})`,
          {
            type: 'FailoverJournalWarning',
            code: 'FAILOVER_JOURNAL_CORRUPT',
          },
        );
      }
    },
    truncated: (line, bytes) => {
      counters.truncatedBytes += bytes;
      events.emit('truncated', { journal, file, line, bytes });
    },
  };
}
