export { classifyS3Error, registerS3Classifier } from './classify.js';
export {
  type ConditionalWrites,
  DEFAULT_MULTIPART_THRESHOLD,
  DEFAULT_PART_SIZE,
  DEFAULT_QUEUE_SIZE,
  MAX_PART_SIZE,
  MAX_PUT_OBJECT_SIZE,
  MAX_QUEUE_SIZE,
  MIN_PART_SIZE,
  type S3StoreOptions,
} from './options.js';
export { createS3Store } from './store.js';
