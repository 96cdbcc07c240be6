import type { S3Client } from '@aws-sdk/client-s3';

const NAME = 's3rverCopySourceDecoding';

/**
 * Makes a test client's `x-amz-copy-source` readable by s3rver. The store encodes CopySource as S3
 * requires (every reserved character percent-encoded, `?` included, since S3 reads `?versionId=`
 * from it); s3rver decodes it with `decodeURI`, which leaves `%2B %3F %23 %26 %3D %2C %3A %3B %40
 * %24` encoded, so a key holding `+ ? # & = , : ; @ $` is "not found" there. This middleware (on
 * the test's own client, at the build step, before signing) re-encodes each key segment the way
 * `decodeURI` reverses exactly. Real S3 needs none of this.
 */
export function decodeCopySourceLikeS3(client: S3Client): S3Client {
  client.middlewareStack.remove(NAME);
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      const header = request.headers?.['x-amz-copy-source'];
      if (request.headers && typeof header === 'string') {
        request.headers['x-amz-copy-source'] = header
          .split('/')
          .map((segment) => encodeURI(decodeURIComponent(segment)))
          .join('/');
      }
      return next(args);
    },
    { step: 'build', name: NAME },
  );
  return client;
}
