export { CREDENTIAL_SHAPES, type CredentialShape } from './credential-shapes.js';
export * from './fault-proxy/index.js';
export * from './gcs/index.js';
export * from './servers/index.js';
export * from './tcp-proxy/index.js';
