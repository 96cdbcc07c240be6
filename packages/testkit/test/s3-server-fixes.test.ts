import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3LocalServer, startS3Server } from '../src/servers/index.js';

/**
 * What s3rver 3.7 gets wrong and testkit's launcher fixes (src/servers/launchers/s3rver-fixes.cjs),
 * each checked the way it broke: a long key segment used to kill the server, preconditions were
 * ignored (on writes, on DeleteObject and on the copy source), Content-MD5 was not checked, CompleteMultipartUpload checked no part and answered with another ETag than S3's, CopySource was decoded with decodeURI, concurrent deletes in one folder answered 500,
 * racing PUTs interleaved, and PutObject was answered before its file was complete.
 */
describe('startS3Server: S3 behaviour where s3rver differs', () => {
  let s3: S3LocalServer;
  const Bucket = 'fixes';

  beforeAll(async () => {
    s3 = await startS3Server({ buckets: [Bucket] });
  });
  afterAll(async () => {
    await s3?.stop();
  });

  const put = (
    Key: string,
    Body: string | Buffer,
    extra: Partial<{ IfNoneMatch: string; IfMatch: string }> = {},
  ) => s3.client.send(new PutObjectCommand({ Bucket, Key, Body, ...extra }));
  const text = async (Key: string): Promise<string> => {
    const got = await s3.client.send(new GetObjectCommand({ Bucket, Key }));
    return (await got.Body?.transformToString()) ?? '';
  };
  const failure = async (
    promise: Promise<unknown>,
  ): Promise<{ name: string; status: number | undefined }> => {
    try {
      await promise;
    } catch (err) {
      expect(err).toBeInstanceOf(S3ServiceException);
      const e = err as S3ServiceException;
      return { name: e.name, status: e.$metadata.httpStatusCode };
    }
    throw new Error('expected the call to fail');
  };

  it('PutObject checks Content-MD5: 400 BadDigest on a mismatch (nothing stored), InvalidDigest when malformed', async () => {
    const md5 = (data: string) => createHash('md5').update(data).digest('base64');
    await put('md5-old', 'old');
    const send = (Key: string, Body: string, ContentMD5: string) =>
      s3.client.send(new PutObjectCommand({ Bucket, Key, Body, ContentMD5 }));
    expect(await failure(send('md5-new', 'the bytes', md5('other bytes')))).toEqual({
      name: 'BadDigest',
      status: 400,
    });
    expect(await failure(s3.client.send(new HeadObjectCommand({ Bucket, Key: 'md5-new' })))).toMatchObject({
      status: 404,
    });
    expect(await failure(send('md5-old', 'replaced', md5('not these')))).toEqual({
      name: 'BadDigest',
      status: 400,
    });
    expect(await text('md5-old')).toBe('old');
    expect(await failure(send('md5-bad', 'x', 'not-base64'))).toEqual({ name: 'InvalidDigest', status: 400 });
    await send('md5-ok', 'the bytes', md5('the bytes'));
    expect(await text('md5-ok')).toBe('the bytes');
  });

  it('a key segment of 255+ bytes gets 400 KeyTooLongError, and the server stays up', async () => {
    for (const Key of ['a'.repeat(255), `dir/${'é'.repeat(130)}/x`, `x/${'b'.repeat(300)}`]) {
      expect(await failure(put(Key, 'v'))).toEqual({ name: 'KeyTooLongError', status: 400 });
      expect(await failure(s3.client.send(new GetObjectCommand({ Bucket, Key })))).toMatchObject({
        status: 404,
      });
      await s3.client.send(new DeleteObjectCommand({ Bucket, Key })); // 204, as for any missing key
    }
    // Over S3's own limit of 1024 bytes, with short segments.
    const long = Array.from({ length: 120 }, () => 'abcdefghi').join('/');
    expect(await failure(put(long, 'v'))).toEqual({ name: 'KeyTooLongError', status: 400 });
    await s3.client.send(new HeadBucketCommand({ Bucket }));
    await put('after-long-keys', 'alive');
    expect(await text('after-long-keys')).toBe('alive');
    // The longest segment it can hold still works.
    const longest = 'c'.repeat(233);
    await put(longest, 'fits');
    expect(await text(longest)).toBe('fits');
  });

  it('If-None-Match: * on PutObject: 412 when the key exists, written when it does not', async () => {
    await put('inm/a', 'first', { IfNoneMatch: '*' });
    expect(await failure(put('inm/a', 'second', { IfNoneMatch: '*' }))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect(await text('inm/a')).toBe('first');
  });

  it('If-Match on PutObject: written on the current ETag, 412 on another, 404 on a missing key', async () => {
    const first = await put('im/a', 'one');
    expect(await failure(put('im/a', 'two', { IfMatch: '"0123456789abcdef0123456789abcdef"' }))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    await put('im/a', 'two', { IfMatch: first.ETag ?? '' });
    expect(await text('im/a')).toBe('two');
    expect(await failure(put('im/missing', 'x', { IfMatch: first.ETag ?? '' }))).toEqual({
      name: 'NoSuchKey',
      status: 404,
    });
  });

  it('of 20 racing If-None-Match: * writes exactly one wins', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => put('race/once', `writer-${i}`, { IfNoneMatch: '*' })),
    );
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as S3ServiceException).name).toBe('PreconditionFailed');
    }
    expect(await text('race/once')).toBe(`writer-${won[0]}`);
  });

  it('If-None-Match: * on a multipart upload is checked at CompleteMultipartUpload', async () => {
    const upload = async (): Promise<unknown> => {
      const { UploadId } = await s3.client.send(
        new CreateMultipartUploadCommand({ Bucket, Key: 'mpu/once' }),
      );
      const part = await s3.client.send(
        new UploadPartCommand({ Bucket, Key: 'mpu/once', UploadId, PartNumber: 1, Body: 'only part' }),
      );
      return s3.client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key: 'mpu/once',
          UploadId,
          IfNoneMatch: '*',
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
        }),
      );
    };
    await upload();
    expect(await failure(upload())).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(await text('mpu/once')).toBe('only part');
  });

  describe('CompleteMultipartUpload', () => {
    const MiB = 1024 * 1024;
    const hex = (data: Buffer) => createHash('md5').update(data).digest('hex');
    /** Uploads `bodies` as parts 1..n of a new upload of `Key`; returns the upload and the parts' ETags. */
    const uploadParts = async (Key: string, bodies: readonly Buffer[]) => {
      const { UploadId } = await s3.client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
      const etags: string[] = [];
      for (const [i, Body] of bodies.entries()) {
        const part = await s3.client.send(
          new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body }),
        );
        etags.push(part.ETag ?? '');
      }
      return { UploadId, etags };
    };
    const complete = (
      Key: string,
      UploadId: string | undefined,
      Parts: { PartNumber: number; ETag: string }[],
    ) =>
      s3.client.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }),
      );
    const first = Buffer.alloc(5 * MiB, 'a');
    const last = Buffer.from('the last part may be small');

    it("stores the parts in order, with S3's ETag: the MD5 of the parts' MD5s and their count", async () => {
      const { UploadId, etags } = await uploadParts('mpu/two', [first, last]);
      expect(etags).toEqual([`"${hex(first)}"`, `"${hex(last)}"`]);
      const done = await complete('mpu/two', UploadId, [
        { PartNumber: 1, ETag: etags[0]! },
        { PartNumber: 2, ETag: etags[1]! },
      ]);
      const etag = `"${createHash('md5')
        .update(Buffer.concat([Buffer.from(hex(first), 'hex'), Buffer.from(hex(last), 'hex')]))
        .digest('hex')}-2"`;
      expect(done.ETag).toBe(etag);
      const head = await s3.client.send(new HeadObjectCommand({ Bucket, Key: 'mpu/two' }));
      expect(head).toMatchObject({ ETag: etag, ContentLength: first.length + last.length });
      const got = await s3.client.send(new GetObjectCommand({ Bucket, Key: 'mpu/two' }));
      const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
      expect(bytes.equals(Buffer.concat([first, last]))).toBe(true);
      // Conditions compare against that ETag.
      await put('mpu/two', 'replaced', { IfMatch: etag });
      expect(await text('mpu/two')).toBe('replaced');
    });

    it('refuses a part not uploaded or with another ETag (InvalidPart), parts out of order, and a small part before the last', async () => {
      const { UploadId, etags } = await uploadParts('mpu/bad', [first, last]);
      expect(await failure(complete('mpu/bad', UploadId, [{ PartNumber: 1, ETag: etags[1]! }]))).toEqual({
        name: 'InvalidPart',
        status: 400,
      });
      expect(
        await failure(
          complete('mpu/bad', UploadId, [
            { PartNumber: 1, ETag: etags[0]! },
            { PartNumber: 3, ETag: etags[1]! },
          ]),
        ),
      ).toEqual({ name: 'InvalidPart', status: 400 });
      expect(
        await failure(
          complete('mpu/bad', UploadId, [
            { PartNumber: 2, ETag: etags[1]! },
            { PartNumber: 1, ETag: etags[0]! },
          ]),
        ),
      ).toEqual({ name: 'InvalidPartOrder', status: 400 });
      const small = await uploadParts('mpu/small', [last, first]);
      expect(
        await failure(
          complete('mpu/small', small.UploadId, [
            { PartNumber: 1, ETag: small.etags[0]! },
            { PartNumber: 2, ETag: small.etags[1]! },
          ]),
        ),
      ).toEqual({ name: 'EntityTooSmall', status: 400 });
      // Nothing was stored, and the upload can still be completed correctly.
      expect(await failure(text('mpu/bad'))).toEqual({ name: 'NoSuchKey', status: 404 });
      await complete('mpu/bad', UploadId, [
        { PartNumber: 1, ETag: etags[0]! },
        { PartNumber: 2, ETag: etags[1]! },
      ]);
      expect((await s3.client.send(new HeadObjectCommand({ Bucket, Key: 'mpu/bad' }))).ContentLength).toBe(
        first.length + last.length,
      );
    });

    it('joins the parts where there is no `cat` to copy them', async () => {
      const path = process.env.PATH;
      process.env.PATH = ''; // the server inherits it: its `cat` is not found
      let plain: S3LocalServer | undefined;
      try {
        plain = await startS3Server({ buckets: [Bucket] });
      } finally {
        process.env.PATH = path;
      }
      try {
        const { UploadId } = await plain.client.send(
          new CreateMultipartUploadCommand({ Bucket, Key: 'mpu/nocat' }),
        );
        const etags: string[] = [];
        for (const [i, Body] of [first, last].entries()) {
          const part = await plain.client.send(
            new UploadPartCommand({ Bucket, Key: 'mpu/nocat', UploadId, PartNumber: i + 1, Body }),
          );
          etags.push(part.ETag ?? '');
        }
        await plain.client.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key: 'mpu/nocat',
            UploadId,
            MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          }),
        );
        const got = await plain.client.send(new GetObjectCommand({ Bucket, Key: 'mpu/nocat' }));
        const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
        expect(bytes.equals(Buffer.concat([first, last]))).toBe(true);
      } finally {
        await plain?.stop();
      }
    });
  });

  it('CopySource is decoded as S3 does: keys with + ? # & = , : ; @ $ % and spaces copy', async () => {
    const source = 'copy/a+b?c#d&e=f,g:h;i@j$k%l m/ü.txt';
    await put(source, 'payload');
    const encoded = source
      .split('/')
      .map((segment) => encodeURIComponent(segment))
      .join('/');
    await s3.client.send(
      new CopyObjectCommand({ Bucket, Key: 'copy/dest', CopySource: `${Bucket}/${encoded}` }),
    );
    expect(await text('copy/dest')).toBe('payload');
    // `?versionId=` after the key is S3's version selector, not part of the key.
    await s3.client.send(
      new CopyObjectCommand({ Bucket, Key: 'copy/dest2', CopySource: `${Bucket}/${encoded}?versionId=null` }),
    );
    expect(await text('copy/dest2')).toBe('payload');
  });

  it('If-None-Match: * on CopyObject: 412 when the destination exists', async () => {
    await put('copyinm/src', 'src');
    await put('copyinm/dest', 'dest');
    const copy = s3.client.send(
      new CopyObjectCommand({
        Bucket,
        Key: 'copyinm/dest',
        CopySource: `${Bucket}/copyinm/src`,
        IfNoneMatch: '*',
      }),
    );
    expect(await failure(copy)).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(await text('copyinm/dest')).toBe('dest');
  });

  it('If-Match on DeleteObject: deleted on the current ETag or *, 412 on another (kept), 404 on a missing key', async () => {
    const first = await put('dim/a', 'one');
    const second = await put('dim/a', 'two');
    const del = (Key: string, IfMatch: string) =>
      s3.client.send(new DeleteObjectCommand({ Bucket, Key, IfMatch }));
    expect(await failure(del('dim/a', first.ETag ?? ''))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect(await text('dim/a')).toBe('two');
    await del('dim/a', second.ETag ?? '');
    expect(await failure(s3.client.send(new HeadObjectCommand({ Bucket, Key: 'dim/a' })))).toMatchObject({
      status: 404,
    });
    expect(await failure(del('dim/a', second.ETag ?? ''))).toEqual({ name: 'NoSuchKey', status: 404 });
    await put('dim/b', 'any');
    await del('dim/b', '*');
    expect(await failure(del('dim/b', '*'))).toEqual({ name: 'NoSuchKey', status: 404 });
  });

  it('a conditional delete racing a conditional put on the same ETag: exactly one of them happens', async () => {
    for (let round = 0; round < 10; round++) {
      const seen = await put('drace/k', `v${round}`);
      const [written, deleted] = await Promise.allSettled([
        put('drace/k', `next${round}`, { IfMatch: seen.ETag ?? '' }),
        s3.client.send(new DeleteObjectCommand({ Bucket, Key: 'drace/k', IfMatch: seen.ETag ?? '' })),
      ]);
      if (written!.status === 'fulfilled') {
        expect(deleted!.status).toBe('rejected');
        expect(await text('drace/k')).toBe(`next${round}`);
      } else {
        expect(deleted!.status).toBe('fulfilled');
        expect((written!.reason as S3ServiceException).name).toBe('NoSuchKey');
      }
    }
  });

  it('x-amz-copy-source-if-match / -if-none-match on CopyObject: 412 when the source ETag says so', async () => {
    const src = await put('csim/src', 'source');
    await put('csim/dest', 'dest');
    const copy = (extra: Partial<{ CopySourceIfMatch: string; CopySourceIfNoneMatch: string }>) =>
      s3.client.send(
        new CopyObjectCommand({ Bucket, Key: 'csim/dest', CopySource: `${Bucket}/csim/src`, ...extra }),
      );
    const stale = '"0123456789abcdef0123456789abcdef"';
    expect(await failure(copy({ CopySourceIfMatch: stale }))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect(await failure(copy({ CopySourceIfNoneMatch: src.ETag ?? '' }))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect(await text('csim/dest')).toBe('dest');
    await copy({ CopySourceIfMatch: src.ETag ?? '' });
    expect(await text('csim/dest')).toBe('source');
    await copy({ CopySourceIfNoneMatch: stale });
  });

  it('a metadata replace in place (CopyObject onto itself) with If-Match and x-amz-copy-source-if-match: a newer write is never given the older metadata', async () => {
    const seen = await put('stamp/k', 'v1');
    await s3.client.send(
      new PutObjectCommand({ Bucket, Key: 'stamp/k', Body: 'v2', Metadata: { version: '2' } }),
    );
    const replace = s3.client.send(
      new CopyObjectCommand({
        Bucket,
        Key: 'stamp/k',
        CopySource: `${Bucket}/stamp/k`,
        MetadataDirective: 'REPLACE',
        Metadata: { version: '1', stamped: 'yes' },
        CopySourceIfMatch: seen.ETag ?? '',
        IfMatch: seen.ETag ?? '',
      }),
    );
    expect(await failure(replace)).toEqual({ name: 'PreconditionFailed', status: 412 });
    const head = await s3.client.send(new HeadObjectCommand({ Bucket, Key: 'stamp/k' }));
    expect(head.Metadata).toEqual({ version: '2' });
    expect(await text('stamp/k')).toBe('v2');
  });

  it('concurrent deletes (and writes) in one folder never answer 500', async () => {
    for (let round = 0; round < 3; round++) {
      const keys = Array.from({ length: 25 }, (_, i) => `folder/deep/k${i}`);
      await Promise.all(keys.map((Key) => put(Key, Key)));
      const work = [
        ...keys.map((Key) => s3.client.send(new DeleteObjectCommand({ Bucket, Key }))),
        // Writes into the folder while it is being emptied (and removed).
        ...keys.slice(0, 5).map((Key) => put(`${Key}-new`, 'new')),
      ];
      const settled = await Promise.allSettled(work);
      expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
      for (const Key of keys.slice(0, 5)) expect(await text(`${Key}-new`)).toBe('new');
      await Promise.all(
        keys.slice(0, 5).map((Key) => s3.client.send(new DeleteObjectCommand({ Bucket, Key: `${Key}-new` }))),
      );
    }
  });

  it('racing PUTs of one key leave one whole body with its own ETag and metadata', async () => {
    const size = 512 * 1024;
    const bodies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(size, i + 1));
    await Promise.all(
      bodies.map((Body, i) =>
        s3.client.send(
          new PutObjectCommand({ Bucket, Key: 'race/body', Body, Metadata: { writer: String(i) } }),
        ),
      ),
    );
    const got = await s3.client.send(new GetObjectCommand({ Bucket, Key: 'race/body' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    expect(bytes.length).toBe(size);
    const writer = Number(got.Metadata?.writer);
    expect(bytes.equals(bodies[writer]!)).toBe(true);
    const { createHash } = await import('node:crypto');
    expect(got.ETag).toBe(`"${createHash('md5').update(bytes).digest('hex')}"`);
  });

  it('PutObject is answered once the whole object can be read', async () => {
    for (let i = 0; i < 10; i++) {
      const Body = Buffer.alloc(2 * 1024 * 1024 + i, i);
      await s3.client.send(new PutObjectCommand({ Bucket, Key: `complete/${i}`, Body }));
      const head = await s3.client.send(new HeadObjectCommand({ Bucket, Key: `complete/${i}` }));
      expect(head.ContentLength).toBe(Body.length);
      const got = await s3.client.send(new GetObjectCommand({ Bucket, Key: `complete/${i}` }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Body)).toBe(true);
    }
  });
});
