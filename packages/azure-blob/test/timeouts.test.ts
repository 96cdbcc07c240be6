import { randomBytes } from 'node:crypto';
import { startAzureServer } from '@failover/testkit';
import { ioBoundsContract } from '@failover/testkit/contract';
import { createAzureBlobStore } from '../src/index.js';

// The shared suite through @azure/storage-blob against azurite behind the fault proxy. With the
// default bounds the SDK keeps its own retries on (as a user's client would): the adapter's bounds
// still end every call.
ioBoundsContract('azure-blob', async () => {
  const server = await startAzureServer();
  const containerName = `t${randomBytes(6).toString('hex')}`;
  await server.createBucket(containerName);
  return {
    origin: server.origin,
    flavor: 'azure',
    open: (endpoint, timeouts) =>
      createAzureBlobStore({
        container: server
          .clientFor(endpoint, { sdkRetries: timeouts === undefined ? 3 : 0 })
          .getContainerClient(containerName),
        ...(timeouts === undefined ? {} : { timeouts: timeouts as object }),
      }),
    // uploadStream: Put Block per block, then Put Block List.
    upload: {
      data: { method: 'PUT', path: /[?&]comp=block(&|$)/ },
      commit: { method: 'PUT', path: /[?&]comp=blocklist(&|$)/ },
    },
    cleanup: () => server.stop(),
  };
});
