export { classifyGcsError } from './classify.js';
export {
  CHUNK_SIZE_UNIT,
  DEFAULT_RESUMABLE_THRESHOLD,
  type GcsStoreOptions,
} from './options.js';
export { createGcsStore } from './store.js';
