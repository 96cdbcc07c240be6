import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { defineConfig } from 'tsup';

export default defineConfig((overrides) => {
  const outDir = overrides.outDir ?? 'dist';
  return {
    entry: { index: 'src/index.ts', 'contract/index': 'src/contract/index.ts' },
    external: ['vitest'],
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { composite: false } },
    tsconfig: 'tsconfig.build.json',
    clean: true,
    sourcemap: true,
    target: 'node20',
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
