import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * A view of the caller's client whose `send` passes `signal` to every SDK call, so aborting a
 * lib-storage `Upload` also cancels its requests in flight (`Upload.abort()` alone only stops
 * new parts). `AbortMultipartUpload` is the exception: it is the clean-up after an abort and must
 * still reach S3, or the uploaded parts would be left behind. The client itself is not changed.
 */
export function withAbortSignal(client: S3Client, signal: AbortSignal | undefined): S3Client {
  if (!signal) return client;
  return new Proxy(client, {
    get(target, property) {
      if (property === 'send') {
        return (command: Parameters<S3Client['send']>[0], options?: { abortSignal?: AbortSignal }) => {
          if (command instanceof AbortMultipartUploadCommand) return target.send(command, options);
          return target.send(command, { ...options, abortSignal: signal });
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
