'use strict';
// What s3rver 3.7 gets wrong, fixed around it so that tests see S3's behaviour (s3rver is Koa:
// a middleware in front of its router, and a store that writes files atomically).
//
// - A key segment too long for a file name (about 240+ bytes) made s3rver's write stream fail
//   with no listener: ENAMETOOLONG killed the process and every later call got ECONNREFUSED.
//   Writes of such keys, and of keys over S3's 1024 bytes, get 400 KeyTooLongError (S3's code for
//   a key it cannot take); reads get 404 NoSuchKey and deletes 204, as for a key that is not there.
// - If-None-Match: * and If-Match on PutObject, CopyObject and CompleteMultipartUpload were
//   ignored: they are checked as S3 does (412 PreconditionFailed; If-Match on a missing key: 404
//   NoSuchKey), under a per-key lock so that of racing conditional writes exactly one wins.
// - If-Match on DeleteObject (S3's conditional deletes) was ignored, and the object deleted
//   whatever its ETag: it is checked as S3 does (412 PreconditionFailed on another ETag, 404
//   NoSuchKey when there is no object, `*` for any object), under the key's lock.
// - x-amz-copy-source-if-match and x-amz-copy-source-if-none-match on CopyObject were ignored: they
//   are checked against the source's ETag as S3 does (412 PreconditionFailed), under the locks of
//   the source and the destination, so the check and the copy are one step (a copy onto itself with
//   both If-Match and x-amz-copy-source-if-match, a metadata replace, is a compare-and-swap).
// - x-amz-copy-source was decoded with decodeURI, which leaves %2B %3F %23 %26 %3D %2C %3A %3B %40
//   %24 encoded: it is decoded as S3 does (every escape, `?versionId=` cut off) before s3rver reads it.
// - Concurrent deletes in one folder answered 500 (a folder another delete had removed): removing
//   empty folders ignores those races, and a write retries when its folder vanishes under it
//   (ENOENT, or ENOTDIR from a recursive mkdir that saw the folder and then found it gone).
// - Racing PUTs of one key interleaved their bytes, and PutObject was answered before its file was
//   complete: each write goes to a temporary file, fully written, then renamed over the object;
//   writes, deletes and reads of one key take turns (a read holds its turn until its file is open).
//   A write that fails midway (a client that disconnects) leaves the old object as it was.
// - CompleteMultipartUpload took any list of parts and answered with the MD5 of the whole object,
//   read back through a second pass: the parts are checked as S3 does (InvalidPartOrder,
//   InvalidPart, EntityTooSmall) and the ETag is S3's `<MD5 of the parts' MD5s>-<parts>`.
// - Content-MD5 on PutObject was ignored: it is checked as S3 does (400 BadDigest when the body
//   does not match it, and nothing is stored; 400 InvalidDigest when it is not a base64 MD5).
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const { Transform } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const S3Error = require('s3rver/lib/models/error');
const S3Object = require('s3rver/lib/models/object');
const FilesystemStore = require('s3rver/lib/stores/filesystem');

/** S3's limit on a key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
/** The longest file name (bytes) on Linux and macOS file systems. */
const MAX_NAME_BYTES = 255;
/** What s3rver appends to a key's last segment for its longest file (`._S3rver_metadata.json`). */
const LONGEST_SUFFIX_BYTES = Buffer.byteLength('._S3rver_metadata.json');
/** The longest key segment s3rver can store. */
const MAX_SEGMENT_BYTES = MAX_NAME_BYTES - LONGEST_SUFFIX_BYTES;

/** Why s3rver cannot hold `key`, or undefined when it can. */
function keyProblem(key) {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `Your key is too long (over ${MAX_KEY_BYTES} bytes)`;
  const long = key.split('/').find((segment) => Buffer.byteLength(segment) > MAX_SEGMENT_BYTES);
  if (long !== undefined) {
    return `A key segment is too long for this emulator (${Buffer.byteLength(long)} bytes; at most ${MAX_SEGMENT_BYTES})`;
  }
  return undefined;
}

/** One promise chain per key: work on one key runs one at a time, in arrival order. */
class KeyLocks {
  constructor() {
    this.tails = new Map();
  }

  async run(key, work) {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release;
    const mine = new Promise((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

const ignorable = (codes) => (err) => {
  if (!codes.includes(err.code)) throw err;
};

/** s3rver's filesystem store with atomic, complete writes and race-tolerant deletes. */
class AtomicFilesystemStore extends FilesystemStore {
  async getMetadata(bucket, key) {
    try {
      return await super.getMetadata(bucket, key);
    } catch (err) {
      // A name too long for the file system is an object that cannot exist.
      if (err.code === 'ENAMETOOLONG') err.code = 'ENOENT';
      throw err;
    }
  }

  async existsObject(bucket, key) {
    if (keyProblem(key)) return false;
    return super.existsObject(bucket, key);
  }

  async getObject(bucket, key, options) {
    if (keyProblem(key)) return null;
    return super.getObject(bucket, key, options);
  }

  async putObject(object) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    const md5 = crypto.createHash('md5');
    let size = 0;
    const counter = new Transform({
      transform(chunk, _encoding, callback) {
        md5.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    const source = Buffer.isBuffer(object.content) ? [object.content] : object.content;
    const expected = contentMd5Of(object.content);
    let digest;
    await writeAtomically(objectPath, async (file) => {
      await pipeline(source, counter, file);
      digest = md5.digest('hex');
      // Checked before the file is moved into place: a body that does not match stores nothing.
      if (expected !== undefined && Buffer.from(digest, 'hex').toString('base64') !== expected) {
        throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', {
          ExpectedDigest: expected,
        });
      }
    });
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  }

  /**
   * CompleteMultipartUpload as S3 does it: the parts listed must be uploaded parts in ascending
   * order with their ETags (400 InvalidPartOrder, InvalidPart), every part but the last at least
   * 5 MiB (400 EntityTooSmall), and the object's ETag is the MD5 of the parts' MD5s and their count
   * (`<hex>-<n>`). s3rver read the parts back through an MD5 of the whole object and answered with
   * that, which cost a second pass over every byte and an ETag no S3 gives a multipart object.
   */
  async putObjectMultipart(bucket, uploadId, parts) {
    const uploadDir = path.join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId);
    const [key, metadata] = await Promise.all([
      fsp.readFile(path.join(uploadDir, 'key'), 'utf8'),
      fsp.readFile(path.join(uploadDir, 'metadata'), 'utf8').then(JSON.parse),
    ]);
    const files = await checkedParts(uploadDir, parts);
    await writeAtomically(this.getResourcePath(bucket, key, 'object'), (file) =>
      joinParts(uploadDir, files, file),
    );
    const etag = `${crypto
      .createHash('md5')
      .update(Buffer.concat(files.map((part) => Buffer.from(part.md5, 'hex'))))
      .digest('hex')}-${files.length}`;
    await this.putMetadata(bucket, key, metadata, etag);
    await fsp.rm(uploadDir, { recursive: true, force: true });
    return { size: files.reduce((sum, part) => sum + part.size, 0), md5: etag };
  }

  async putMetadata(bucket, key, metadata, md5) {
    const json = {
      ...pickKeys(metadata, S3Object.ALLOWED_METADATA),
      ...Object.fromEntries(Object.entries(metadata).filter(([name]) => name.startsWith('x-amz-meta-'))),
    };
    if (md5) await writeFileAtomically(this.getResourcePath(bucket, key, 'object.md5'), md5);
    await writeFileAtomically(
      this.getResourcePath(bucket, key, 'metadata.json'),
      JSON.stringify(json, null, 2),
    );
  }

  async copyObject(srcBucket, srcKey, destBucket, destKey, replacementMetadata) {
    const src = (resource) => this.getResourcePath(srcBucket, srcKey, resource);
    const dest = (resource) => this.getResourcePath(destBucket, destKey, resource);
    if (src('object') !== dest('object')) {
      // The source is read once: a write racing it leaves the copy old or new, never mixed.
      const [metadata, md5] = await Promise.all([
        fsp.readFile(src('metadata.json')).catch(ignorable(['ENOENT'])),
        fsp.readFile(src('object.md5')).catch(ignorable(['ENOENT'])),
      ]);
      await writeAtomically(dest('object'), (file) => pipeline(fs.createReadStream(src('object')), file));
      // The MD5 goes with the bytes (s3rver left a replaced object's old one in place).
      if (md5 !== undefined) await writeFileAtomically(dest('object.md5'), md5);
      else await fsp.unlink(dest('object.md5')).catch(ignorable(['ENOENT']));
      if (!replacementMetadata && metadata !== undefined)
        await writeFileAtomically(dest('metadata.json'), metadata);
    }
    if (replacementMetadata) await this.putMetadata(destBucket, destKey, replacementMetadata);
    return this.getMetadata(destBucket, destKey);
  }

  async deleteObject(bucket, key) {
    if (keyProblem(key)) return;
    await Promise.all(
      ['object', 'object.md5', 'metadata.json'].map((resource) =>
        fsp.unlink(this.getResourcePath(bucket, key, resource)).catch(ignorable(['ENOENT'])),
      ),
    );
    // Remove the folders the key leaves empty. Another delete may have removed one already, or a
    // write filled it again: both are fine.
    const parts = key.split('/');
    parts.pop();
    while (parts.length > 0) {
      try {
        await fsp.rmdir(path.join(this.getBucketPath(bucket), ...parts));
      } catch (err) {
        if (err.code === 'ENOENT') {
          parts.pop();
          continue;
        }
        if (err.code === 'ENOTEMPTY' || err.code === 'EEXIST') return;
        throw err;
      }
      parts.pop();
    }
  }
}

/**
 * Writes the part files, in order, to `file` (an open write stream): with `cat`, which copies
 * inside the kernel (a 1 GiB object in about 2 s in the server here, where reading and writing it
 * through Node took 4 to 5 s, most of CompleteMultipartUpload's time); through Node where there
 * is no `cat` (it could not start, so nothing was written). A `cat` that fails midway fails the
 * write. Resolves once the file is complete and closed.
 */
async function joinParts(dir, files, file) {
  const names = files.map((part) => path.basename(part.path));
  const catted = await new Promise((resolve, reject) => {
    const child = spawn('cat', names, { cwd: dir, stdio: ['ignore', file.fd, 'ignore'], windowsHide: true });
    child.once('error', () => resolve(false));
    child.once('close', (code) =>
      code === 0 ? resolve(true) : reject(new Error(`cat exited with ${code}`)),
    );
  });
  if (!catted) {
    return pipeline(async function* concat() {
      for (const part of files) yield* fs.createReadStream(part.path);
    }, file);
  }
  return new Promise((resolve, reject) => {
    file.once('error', reject);
    file.end(() => file.close((err) => (err ? reject(err) : resolve())));
  });
}

/** S3's smallest part, but for the last. */
const MIN_PART_BYTES = 5 * 1024 * 1024;

/**
 * The part files of a CompleteMultipartUpload, in order, each with its size and MD5, once they pass
 * S3's checks: ascending part numbers, each one uploaded with the ETag listed, every part but the
 * last at least 5 MiB.
 */
async function checkedParts(uploadDir, parts) {
  const files = [];
  for (const [i, part] of parts.entries()) {
    if (i > 0 && part.number <= parts[i - 1].number) {
      throw new S3Error(
        'InvalidPartOrder',
        'The list of parts was not in ascending order. Parts must be ordered by part number.',
        {
          UploadId: path.basename(uploadDir),
        },
      );
    }
    const file = path.join(uploadDir, String(part.number));
    const [md5, stat] = await Promise.all([
      fsp.readFile(`${file}.md5`, 'utf8').catch(ignorable(['ENOENT'])),
      fsp.stat(file).catch(ignorable(['ENOENT'])),
    ]);
    if (md5 === undefined || stat === undefined || md5.trim() !== part.etag) {
      throw new S3Error(
        'InvalidPart',
        "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
        { UploadId: path.basename(uploadDir), PartNumber: part.number, ETag: part.etag },
      );
    }
    files.push({ path: file, md5: md5.trim(), size: stat.size });
  }
  const small = files.slice(0, -1).findIndex((part) => part.size < MIN_PART_BYTES);
  if (small !== -1) {
    throw new S3Error(
      'EntityTooSmall',
      'Your proposed upload is smaller than the minimum allowed object size.',
      {
        ProposedSize: files[small].size,
        MinSizeAllowed: MIN_PART_BYTES,
        PartNumber: parts[small].number,
      },
    );
  }
  return files;
}

function pickKeys(object, keys) {
  return Object.fromEntries(Object.entries(object).filter(([name]) => keys.includes(name)));
}

/**
 * The Content-MD5 of a PutObject (s3rver passes the request itself as the object's content), or
 * undefined when there is none. One that is not a base64 MD5 is S3's 400 InvalidDigest.
 */
function contentMd5Of(content) {
  const header = content?.headers?.['content-md5'];
  if (typeof header !== 'string') return undefined;
  if (!/^[A-Za-z0-9+/]{22}==$/.test(header)) {
    throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.', {
      'Content-MD5': header,
    });
  }
  return header;
}

/**
 * Writes `target` through a temporary file in its folder (created as needed), renamed over it
 * once `write(stream)` has written and closed it. Retries when a delete removes the folder midway.
 */
async function writeAtomically(target, write) {
  const dir = path.dirname(target);
  for (let attempt = 1; ; attempt++) {
    const temp = path.join(dir, `.failover-${crypto.randomBytes(8).toString('hex')}.tmp`);
    try {
      await fsp.mkdir(dir, { recursive: true });
      const file = fs.createWriteStream(temp, { flags: 'wx' });
      await new Promise((resolve, reject) => {
        file.once('open', resolve);
        file.once('error', reject);
      });
      await write(file); // pipeline: resolves once the file is flushed and closed
      await fsp.rename(temp, target);
      return;
    } catch (err) {
      await fsp.unlink(temp).catch(() => undefined);
      // The folder vanished (a delete removed it as empty): make it again. A recursive mkdir that
      // finds a folder existing and then gone when it looks at it says ENOTDIR.
      if ((err.code === 'ENOENT' || err.code === 'ENOTDIR') && attempt < 10) continue;
      throw err;
    }
  }
}

function writeFileAtomically(target, data) {
  return writeAtomically(target, async (file) => {
    await new Promise((resolve, reject) => {
      file.once('error', reject);
      file.end(data, () => file.close((err) => (err ? reject(err) : resolve())));
    });
  });
}

/** Bucket and key of a path-style request (`/bucket/key...`), decoded; key undefined for bucket calls. */
function target(ctx) {
  const match = /^\/([^/]+)\/(.+)$/s.exec(ctx.path);
  if (!match) return undefined;
  try {
    return { bucket: decodeURIComponent(match[1]), key: decodeURIComponent(match[2]) };
  } catch {
    return undefined;
  }
}

/**
 * `x-amz-copy-source` decoded as S3 reads it, then encoded so that s3rver's decodeURI gets it back.
 * Returns the source's bucket and key (undefined without a copy source).
 */
function fixCopySource(ctx) {
  const raw = ctx.headers['x-amz-copy-source'];
  if (typeof raw !== 'string') return undefined;
  const withoutVersion = raw.replace(/\?versionId=[^&]*$/, '');
  let decoded;
  try {
    decoded = decodeURIComponent(withoutVersion);
  } catch {
    throw new S3Error('InvalidArgument', 'Invalid copy source encoding', {
      ArgumentName: 'x-amz-copy-source',
    });
  }
  ctx.request.headers['x-amz-copy-source'] = encodeURI(decoded);
  const [bucket, ...key] = (decoded.startsWith('/') ? decoded.slice(1) : decoded).split('/');
  return { bucket, key: key.join('/') };
}

/** S3's checks of If-None-Match and If-Match on a write; run under the key's lock. */
async function checkWritePreconditions(ctx, bucket, key) {
  const noneMatch = ctx.headers['if-none-match'];
  const match = ctx.headers['if-match'];
  if (noneMatch === undefined && match === undefined) return;
  const exists = await ctx.store.existsObject(bucket, key);
  if (noneMatch !== undefined) {
    if (noneMatch.trim() !== '*') {
      throw new S3Error('NotImplemented', 'If-None-Match on a write accepts only *', {
        Header: 'If-None-Match',
      });
    }
    if (exists) throw preconditionFailed('If-None-Match');
  }
  if (match !== undefined) {
    if (!exists) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
    const wanted = etagsOf(match);
    if (!wanted.includes('*') && !wanted.includes(await etagOf(ctx, bucket, key))) {
      throw preconditionFailed('If-Match');
    }
  }
}

/** The ETags an If-Match style header lists, unquoted (`*` stays `*`). */
function etagsOf(header) {
  return header.split(',').map((tag) => tag.trim().replace(/^W\//, '').replace(/"/g, ''));
}

/** The ETag s3rver stores for an object, unquoted. */
async function etagOf(ctx, bucket, key) {
  const { etag } = await ctx.store.getMetadata(bucket, key);
  return String(etag).replace(/"/g, '');
}

function preconditionFailed(condition) {
  return new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
    Condition: condition,
  });
}

/**
 * S3's conditional delete: If-Match with an ETag (or `*`) deletes only a matching object; another
 * ETag is a 412, no object a 404 NoSuchKey. Run under the key's lock, so the check and the delete
 * are one step.
 */
async function checkDeletePreconditions(ctx, bucket, key) {
  const match = ctx.headers['if-match'];
  if (match === undefined) return;
  if (!(await ctx.store.existsObject(bucket, key))) {
    throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
  }
  const wanted = etagsOf(match);
  if (!wanted.includes('*') && !wanted.includes(await etagOf(ctx, bucket, key))) {
    throw preconditionFailed('If-Match');
  }
}

/**
 * S3's checks of x-amz-copy-source-if-match and x-amz-copy-source-if-none-match against the copy
 * source's ETag (412 when one fails). A missing source is left to s3rver (404 NoSuchKey). Run under
 * the locks of the source and the destination.
 */
async function checkCopySourcePreconditions(ctx, source) {
  const match = ctx.headers['x-amz-copy-source-if-match'];
  const noneMatch = ctx.headers['x-amz-copy-source-if-none-match'];
  if (match === undefined && noneMatch === undefined) return;
  if (!(await ctx.store.existsObject(source.bucket, source.key))) return;
  const etag = await etagOf(ctx, source.bucket, source.key);
  if (match !== undefined) {
    const wanted = etagsOf(match);
    if (!wanted.includes('*') && !wanted.includes(etag))
      throw preconditionFailed('x-amz-copy-source-If-Match');
  }
  if (noneMatch !== undefined) {
    const unwanted = etagsOf(noneMatch);
    if (unwanted.includes('*') || unwanted.includes(etag)) {
      throw preconditionFailed('x-amz-copy-source-If-None-Match');
    }
  }
}

/** Runs `work` holding the locks of every name in `names` (taken in sorted order: no deadlock). */
function withLocks(locks, names, work) {
  const sorted = [...new Set(names)].sort();
  const run = (i) => (i === sorted.length ? work() : locks.run(sorted[i], () => run(i + 1)));
  return run(0);
}

/** What an object request is: a write of the object, a delete, a read, or something else. */
function kindOf(ctx) {
  const q = ctx.query;
  if (ctx.method === 'PUT') {
    if (q.partNumber !== undefined || q.tagging !== undefined || q.acl !== undefined) return 'other';
    return 'write';
  }
  if (ctx.method === 'POST') return q.uploadId !== undefined ? 'write' : 'other'; // Complete
  if (ctx.method === 'DELETE') return q.uploadId !== undefined ? 'other' : 'delete';
  if (ctx.method === 'GET' || ctx.method === 'HEAD') {
    const sub = ['acl', 'tagging', 'uploadId', 'uploads'].some((name) => q[name] !== undefined);
    return sub ? 'other' : 'read';
  }
  return 'other';
}

/** The Koa middleware: key limits, copy source, preconditions and per-key turns. */
function fixesMiddleware(locks) {
  return async function s3rverFixes(ctx, next) {
    const object = target(ctx);
    if (!object) return next();
    const kind = kindOf(ctx);
    const problem = keyProblem(object.key);
    if (problem !== undefined) {
      if (kind === 'read')
        throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: object.key });
      if (kind === 'delete') {
        ctx.status = 204;
        return;
      }
      if (ctx.method === 'PUT' || ctx.method === 'POST') throw new S3Error('KeyTooLongError', problem);
    }
    const source = kind === 'write' ? fixCopySource(ctx) : undefined;
    if (kind === 'other') return next();
    const names = [`${object.bucket}/${object.key}`];
    if (source !== undefined) names.push(`${source.bucket}/${source.key}`);
    return withLocks(locks, names, async () => {
      if (kind === 'write') await checkWritePreconditions(ctx, object.bucket, object.key);
      if (source !== undefined) await checkCopySourcePreconditions(ctx, source);
      if (kind === 'delete') await checkDeletePreconditions(ctx, object.bucket, object.key);
      await next();
    });
  };
}

/** Installs the fixes on an s3rver instance, before `run()`. */
function installFixes(server, directory) {
  server.store = server.context.store = new AtomicFilesystemStore(directory);
  server.middleware.unshift(fixesMiddleware(new KeyLocks()));
  // A failure no request owns (a stream error outside a request) is logged, never fatal: the
  // server must outlive whatever one request does.
  process.on('uncaughtException', (err) => {
    process.stderr.write(`s3rver: uncaught ${err?.stack ?? String(err)}\n`);
  });
}

module.exports = { installFixes, keyProblem, MAX_SEGMENT_BYTES };
