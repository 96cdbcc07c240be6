import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryJournal, createMemoryStore, createMultiCloudStore } from '@failover/storage';
import { blobStoreContract } from '@failover/testkit/contract';

// The multi-cloud store is a BlobStore: it passes the same contract as every other store, in
// each write mode, over three memory stores (small spool bound, so streams go through temp files).
for (const writes of ['primary', 'mirror', { quorum: 2 }] as const) {
  blobStoreContract(
    `multi-cloud (${typeof writes === 'string' ? writes : 'quorum 2'})`,
    async () => {
      const spoolDir = await mkdtemp(join(tmpdir(), 'failover-multi-contract-'));
      const store = createMultiCloudStore({
        targets: ['a', 'b', 'c'].map((name) => createMemoryStore({ name })),
        writes,
        journal: createMemoryJournal(),
        spool: { memoryBytes: 1024 * 1024, dir: spoolDir },
        repair: { delayMs: 10 },
      });
      return {
        store,
        cleanup: async () => {
          await store.close();
          await rm(spoolDir, { recursive: true, force: true });
        },
      };
      // Each target has its own entity tags: the multi-cloud store refuses ifMatch.
    },
    { ifMatch: false },
  );
}
