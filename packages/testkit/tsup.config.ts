import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.base.js';

export default defineConfig((overrides) => {
  const outDir = overrides.outDir ?? 'dist';
  return {
    ...baseConfig,
    entry: { index: 'src/index.ts', 'contract/index': 'src/contract/index.ts' },
    external: ['vitest'],
    outDir,
    // `import.meta.url` in the CommonJS build: the servers find their launcher scripts with it.
    shims: true,
    // The server launchers are plain CommonJS scripts run as child processes (never bundled):
    // ship them next to the bundle, where src/servers/launchers.ts looks for them.
    async onSuccess() {
      await cp('src/servers/launchers', join(outDir, 'launchers'), { recursive: true });
    },
  };
});
