import { it } from 'vitest';
import { startGcsServer } from '../src/servers/gcs.js';

it('smoke', async () => {
  const gcs = await startGcsServer({ buckets: ['bkt'] });
  try {
    const bucket = gcs.client.bucket('bkt');
    const f = bucket.file('x');
    await f.save('hello', { resumable: false });
    for (const resumable of [false, true]) {
      try {
        await f.save('again', { resumable, preconditionOpts: { ifGenerationMatch: 0 } });
        console.log('no error?');
      } catch (e) {
        const err = e as { code?: unknown; message: string; errors?: unknown; constructor: { name: string } };
        console.log(resumable, err.constructor.name, err.code, err.message, JSON.stringify(err.errors));
      }
    }
    const z = bucket.file('zero');
    await new Promise<void>((res, rej) => {
      const w = z.createWriteStream({ chunkSize: 256 * 1024 });
      w.on('error', rej).on('finish', () => res());
      w.end();
    });
    console.log('zero chunked', (await z.getMetadata())[0].size);
    for (let i = 0; i < 5; i++) await bucket.file(`p${i}`).save('x', { resumable: false });
    const [all] = await bucket.getFiles({ autoPaginate: true, maxResults: 2 });
    console.log('auto+max', all.map((x) => x.name));
    const [all2] = await bucket.getFiles({ autoPaginate: true, maxApiCalls: 10, maxResults: 100 });
    console.log('auto', all2.map((x) => x.name));
    try { await bucket.file('nope').getMetadata(); } catch (e) { const err = e as {code: number; message: string; errors: unknown}; console.log(err.code, err.message, JSON.stringify(err.errors)); }
    try { await bucket.file('nope').download(); } catch (e) { const err = e as {code: number; message: string; errors: unknown}; console.log('dl', err.code, err.message, JSON.stringify(err.errors)); }
    console.log(gcs.emulator.requests.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.query)} ${r.operation} ${r.status}`).join('\n'));
  } finally {
    await gcs.stop();
  }
});
