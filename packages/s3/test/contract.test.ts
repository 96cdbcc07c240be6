import { startS3Server } from '@failover/testkit';
import { blobStoreContract } from '@failover/testkit/contract';
import { createS3Store } from '../src/index.js';
import { decodeCopySourceLikeS3 } from './s3rver-copy-source.js';

// The contract against s3rver through an S3Client with checksums only when required (the
// testkit's settings). What s3rver gets wrong, and how each run deals with it:
// - It ignores If-None-Match on writes: the store runs with conditionalWrites 'emulated'.
// - It decodes CopySource with decodeURI: the test client re-encodes it (decodeCopySourceLikeS3).
// - It fails concurrent deletes in one directory (500): the suite does not delete its keys at the
//   end (deleteKeys: false); the whole server directory goes with `stop()`.
async function s3rverSubject(prefix?: string) {
  const server = await startS3Server({ buckets: ['contract'] });
  const client = decodeCopySourceLikeS3(server.clientFor(server.origin));
  const store = createS3Store({
    client,
    bucket: 'contract',
    conditionalWrites: 'emulated',
    ...(prefix === undefined ? {} : { prefix }),
  });
  return {
    store,
    cleanup: async () => {
      client.destroy();
      await server.stop();
    },
  };
}

blobStoreContract('s3 (s3rver)', () => s3rverSubject(), { deleteKeys: false });

// The same under a store prefix: keys in and out never show it.
blobStoreContract('s3 (s3rver, prefix app/)', () => s3rverSubject('app/'), { deleteKeys: false });
