import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base.js';

/** The library (ESM + CJS) and the `failover` bin (ESM only, with its shebang). */
export default defineConfig([
  baseConfig,
  { ...baseConfig, entry: ['src/bin.ts'], format: ['esm'], dts: false, clean: false },
]);
