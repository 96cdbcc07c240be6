import { startS3Server } from '@failover/testkit';
import { blobStoreContract } from '@failover/testkit/contract';
import { createS3Store } from '../src/index.js';

// The contract against s3rver through an S3Client with checksums only when required (the
// testkit's settings), in the store's default conditionalWrites mode, 'native': the testkit's
// launcher makes s3rver answer If-None-Match with 412 as S3 does, decode CopySource as S3 does and
// take concurrent deletes in one folder (see testkit's src/servers/launchers/s3rver-fixes.cjs).
async function s3rverSubject(prefix?: string) {
  const server = await startS3Server({ buckets: ['contract'] });
  const client = server.clientFor(server.origin);
  const store = createS3Store({ client, bucket: 'contract', ...(prefix === undefined ? {} : { prefix }) });
  return {
    store,
    cleanup: async () => {
      client.destroy();
      await server.stop();
    },
  };
}

blobStoreContract('s3 (s3rver)', () => s3rverSubject());

// The same under a store prefix: keys in and out never show it.
blobStoreContract('s3 (s3rver, prefix app/)', () => s3rverSubject('app/'));
