export { azureErrorCode, classifyAzureError, registerAzureClassifier } from './classify.js';
export {
  type AzureBlobStoreOptions,
  DEFAULT_BLOCK_SIZE,
  DEFAULT_CONCURRENCY,
  MAX_BLOCK_SIZE,
} from './options.js';
export { createAzureBlobStore } from './store.js';
