import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base.js';

/**
 * The library (ESM + CJS + types; `shims` gives the CJS build `import.meta.url`) and the `failover`
 * bin (ESM only, keeping its shebang). The two builds run at once: the library's clean step leaves
 * the bin alone.
 */
export default defineConfig([
  { ...baseConfig, shims: true, clean: ['!bin.js', '!bin.js.map'] },
  { ...baseConfig, entry: ['src/bin.ts'], format: ['esm'], dts: false, clean: false },
]);
