import { startAzureServer } from '@failover/testkit';
import { blobStoreContract } from '@failover/testkit/contract';
import { createAzureBlobStore } from '../src/index.js';

// The whole BlobStore contract, through the official SDK, against azurite.
blobStoreContract('azure-blob', async () => {
  const server = await startAzureServer({ buckets: ['contract'] });
  return {
    store: createAzureBlobStore({ container: server.containerClient('contract') }),
    cleanup: () => server.stop(),
  };
});

// Again with a store prefix: keys in and out must never show it.
blobStoreContract('azure-blob (prefixed)', async () => {
  const server = await startAzureServer({ buckets: ['contract'] });
  return {
    store: createAzureBlobStore({ container: server.containerClient('contract'), prefix: 'tenant/a/' }),
    cleanup: () => server.stop(),
  };
});
