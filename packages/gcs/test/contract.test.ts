import { createGcsStore } from '@failover/gcs';
import { blobStoreContract } from '@failover/testkit/contract';
import { startEmulator, uniqueBucket } from './helpers.js';

// The whole BlobStore contract, through @google-cloud/storage against the testkit GCS emulator.
blobStoreContract('gcs', async () => {
  const server = await startEmulator();
  const name = uniqueBucket('contract');
  await server.createBucket(name);
  return { store: createGcsStore({ bucket: server.client.bucket(name) }), cleanup: () => server.stop() };
});

// The same contract for a store under a key prefix, with small resumable and chunk settings so the
// resumable and chunked paths carry the contract's streams and buffers.
blobStoreContract(
  'gcs (prefix, chunked resumable uploads)',
  async () => {
    const server = await startEmulator();
    const name = uniqueBucket('contract-prefixed');
    await server.createBucket(name);
    const store = createGcsStore({
      bucket: server.client.bucket(name),
      prefix: 'tenant/',
      resumableThreshold: 64 * 1024,
      chunkSize: 1024 * 1024,
    });
    return { store, cleanup: () => server.stop() };
  },
  { largeObjectBytes: 3 * 1024 * 1024, bufferBytes: 2 * 1024 * 1024 },
);
