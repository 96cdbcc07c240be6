export type { ClientOptions, LocalServer } from './types.js';
