// Runs after tsup (`pnpm build`): puts `// @ts-ignore` before each import of an optional peer in
// the bundled declarations, so a project that installed only some cloud SDKs compiles with
// `skipLibCheck: false`. A missing SDK's types become `any`; an installed one's stay exact.
// (tsup's onSuccess runs before the declarations are written, hence a script of its own.)
// tests/consumer checks both cases from the packed tarball.
import { readFile, writeFile } from 'node:fs/promises';

const OPTIONAL_PEERS = ['@aws-sdk/client-s3', '@google-cloud/storage', '@azure/storage-blob'];
const FILES = ['dist/index.d.ts', 'dist/index.d.cts'];

for (const file of FILES) {
  const lines = (await readFile(file, 'utf8')).split('\n');
  const out = [];
  for (const line of lines) {
    const from = /^import .* from '([^']+)';$/.exec(line)?.[1];
    if (from !== undefined && OPTIONAL_PEERS.includes(from) && !out.at(-1)?.startsWith('// @ts-ignore')) {
      out.push(
        `// @ts-ignore ${from} is an optional peer dependency: its types are \`any\` when it is not installed`,
      );
    }
    out.push(line);
  }
  await writeFile(file, out.join('\n'));
}
