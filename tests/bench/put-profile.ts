/**
 * Many default-mode puts over the three local clouds in one process, for `node --cpu-prof`:
 * `node --cpu-prof --cpu-prof-dir=DIR --import tsx bench/put-profile.ts [bytes] [calls] [concurrency] [mode]`
 * (mode: `default`, `primary`, `raw`, `raw-gcs`, `raw-azure`, or an adapter: `s3`, `gcs`, `azure`). Prints puts per second and CPU ms per put.
 */
import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { timedCalls } from './profile-loop.js';
import { BUCKET, withClouds } from './storage-clouds.js';

const bytes = Number(process.argv[2] ?? 1024);
const calls = Number(process.argv[3] ?? 2000);
const concurrency = Number(process.argv[4] ?? 1);
const mode = process.argv[5] ?? 'default';

await withClouds(async (clouds) => {
  const store = mode === 'primary' ? clouds.multi({ writes: 'primary' }) : clouds.multi();
  const gcs = clouds.gcsClient.bucket(BUCKET);
  const azure = clouds.azureClient.getContainerClient(BUCKET);
  const puts: Record<string, (key: string, body: Buffer) => Promise<unknown>> = {
    raw: (key, body) =>
      clouds.s3Client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentLength: body.length }),
      ),
    'raw-gcs': (key, body) => gcs.file(key).save(body, { resumable: false }),
    'raw-azure': (key, body) => azure.getBlockBlobClient(key).uploadData(body),
    s3: (key, body) => clouds.targets[0].put(key, body),
    gcs: (key, body) => clouds.targets[1].put(key, body),
    azure: (key, body) => clouds.targets[2].put(key, body),
  };
  const put = puts[mode] ?? ((key: string, body: Buffer) => store.put(key, body));
  const bodies = Array.from({ length: 16 }, () => randomBytes(bytes));
  for (let i = 0; i < 50; i++) await put(`w/${i}`, bodies[i % 16]!);
  const r = await timedCalls(calls, concurrency, (k) => put(`p/${k}`, bodies[k % 16]!));
  console.log(
    `${mode} ${bytes} B x${concurrency}: ${r.perSecond.toFixed(1)} puts/s, ${r.cpuMsPerCall.toFixed(2)} ms CPU per put`,
  );
});
