// The Google Cloud Storage JSON API emulator (see docs/testkit-gcs-emulator.md).
export { crc32c, crc32cBase64, crc32cToBase64 } from './crc32c.js';
export { createGcsEmulator } from './emulator.js';
export type {
  GcsBucketResource,
  GcsEmulator,
  GcsEmulatorAddress,
  GcsEmulatorOptions,
  GcsObjectResource,
  GcsOperation,
  GcsPutObjectOptions,
  GcsRequestRecord,
  GcsStoredObject,
} from './types.js';
