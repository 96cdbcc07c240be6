export { classifyGcsError } from './classify.js';
export {
  CHUNK_SIZE_UNIT,
  DEFAULT_READ_IDLE_TIMEOUT_MS,
  DEFAULT_RESUMABLE_THRESHOLD,
  type GcsStoreOptions,
} from './options.js';
export { createGcsStore } from './store.js';
