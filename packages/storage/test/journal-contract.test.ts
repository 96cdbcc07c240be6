import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileJournal, createMemoryJournal } from '@failover/storage';
import { journalContract } from '@failover/testkit/contract';

journalContract('memory', () => createMemoryJournal());

journalContract('file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'failover-journal-contract-'));
  return {
    journal: createFileJournal({ dir, fsync: false }),
    reopen: () => createFileJournal({ dir, fsync: false }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

journalContract(
  'file (fsync, small compaction threshold)',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'failover-journal-contract-'));
    return {
      journal: createFileJournal({ dir, compactAfterBytes: 1024 }),
      reopen: () => createFileJournal({ dir, compactAfterBytes: 1024 }),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
  { manyEntries: 60 },
);
