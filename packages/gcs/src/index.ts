export { classifyGcsError } from './classify.js';
export {
  CHUNK_SIZE_UNIT,
  DEFAULT_METADATA_CACHE_SIZE,
  DEFAULT_READ_IDLE_TIMEOUT_MS,
  DEFAULT_RESUMABLE_THRESHOLD,
  type GcsStoreOptions,
} from './options.js';
export { createGcsStore } from './store.js';
