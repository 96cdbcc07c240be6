import { S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import { createAzureBlobStore } from '@failover/azure-blob';
import { createGcsStore } from '@failover/gcs';
import { createS3Store } from '@failover/s3';
import type { BlobStore } from '@failover/storage';
import { gcsRetryOptions, S3RVER_CREDENTIALS } from '@failover/testkit';
import { Storage } from '@google-cloud/storage';

// The adapter stores a child process of the multi-cloud tests (the soak's writer, a fleet
// instance) opens over the local clouds' fault proxies.

/** What a child process needs to reach the local clouds through their fault proxies. */
export interface CloudEndpoints {
  readonly bucket: string;
  readonly s3Endpoint: string;
  readonly gcsEndpoint: string;
  readonly azureConnectionString: string;
}

/**
 * The adapter stores over the clouds' proxies, named `aws`, `gcp`, `azure`, SDK retries off.
 * JEPSEN_SMALL_PARTS=1 (with JEPSEN_LARGE_BYTES of several MiB): big objects take each adapter's
 * path for big ones: S3 multipart uploads from 5 MiB, GCS resumable uploads from 128 KiB, Azure
 * block lists from 256 KiB.
 */
export function storesOf(config: CloudEndpoints): BlobStore[] {
  const s3 = new S3Client({
    region: 'us-east-1',
    credentials: { ...S3RVER_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    endpoint: config.s3Endpoint,
    maxAttempts: 1,
  });
  const gcs = new Storage({
    apiEndpoint: config.gcsEndpoint,
    projectId: 'test',
    retryOptions: gcsRetryOptions(0),
  });
  const azure = BlobServiceClient.fromConnectionString(config.azureConnectionString, {
    retryOptions: { maxTries: 1 },
  });
  const small = process.env.JEPSEN_SMALL_PARTS === '1';
  const MiB = 1024 * 1024;
  return [
    createS3Store({
      client: s3,
      bucket: config.bucket,
      name: 'aws',
      ...(small ? { multipartThreshold: 5 * MiB, partSize: 5 * MiB } : {}),
    }),
    createGcsStore({
      bucket: gcs.bucket(config.bucket),
      name: 'gcp',
      ...(small ? { resumableThreshold: 128 * 1024 } : {}),
    }),
    createAzureBlobStore({
      container: azure.getContainerClient(config.bucket),
      name: 'azure',
      ...(small ? { blockSize: 256 * 1024 } : {}),
    }),
  ];
}
