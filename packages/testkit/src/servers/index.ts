export {
  AZURITE_ACCOUNT_KEY,
  AZURITE_ACCOUNT_NAME,
  type AzureLocalServer,
  type AzureServerOptions,
  startAzureServer,
} from './azure.js';
export type { LocalServerOptions } from './client-options.js';
export {
  type GcsLocalServer,
  type GcsRetryOptions,
  type GcsServerOptions,
  gcsRetryOptions,
  startGcsServer,
} from './gcs.js';
export {
  LOCAL_CLOUD_HOSTNAMES,
  type LocalCloudClients,
  type LocalCloudName,
  type LocalClouds,
  type LocalCloudsOptions,
  startLocalClouds,
} from './local-clouds.js';
export {
  type RedisLocalServer,
  type RedisPersistence,
  type RedisServerOptions,
  startRedisServer,
} from './redis.js';
export { type S3LocalServer, S3RVER_CREDENTIALS, type S3ServerOptions, startS3Server } from './s3.js';
export type { ClientOptions, LocalServer } from './types.js';
