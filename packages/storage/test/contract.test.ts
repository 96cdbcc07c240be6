import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileSystemStore, createMemoryStore } from '@failover/storage';
import { blobStoreContract } from '@failover/testkit/contract';

blobStoreContract('memory', () => createMemoryStore({ name: 'memory-contract' }));

blobStoreContract('filesystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'failover-fs-contract-'));
  return {
    store: createFileSystemStore({ root }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});
