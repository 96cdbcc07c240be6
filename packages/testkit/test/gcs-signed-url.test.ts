import { generateKeyPairSync } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { describe, expect, it } from 'vitest';
import { checkSignedUrl } from '../src/gcs/signed-url.js';
import { XmlProblem } from '../src/gcs/xml-problem.js';

// The emulator's V4 checks, on URLs the SDK signed (no server): what passes, and what each
// malformed or tampered URL gets.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const email = 'signer@test.iam.gserviceaccount.com';
const storage = new Storage({
  projectId: 'test',
  apiEndpoint: 'http://127.0.0.1:4443',
  credentials: {
    client_email: email,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  },
});
const keys = new Map([[email, publicKey]]);

async function signed(action: 'read' | 'write', extra: object = {}): Promise<URL> {
  const [url] = await storage
    .bucket('b')
    .file('dir/a b.txt')
    .getSignedUrl({ version: 'v4', action, expires: Date.now() + 60_000, ...extra });
  return new URL(url);
}

function check(url: URL, over: Partial<Parameters<typeof checkSignedUrl>[0]> = {}) {
  return checkSignedUrl({
    method: 'GET',
    rawPath: url.pathname,
    rawQuery: url.search.slice(1),
    headers: { host: '127.0.0.1:4443' },
    keys,
    now: new Date(),
    ...over,
  });
}

function problem(fn: () => unknown): XmlProblem {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(XmlProblem);
    return err as XmlProblem;
  }
  throw new Error('expected an XmlProblem');
}

describe('V4 signed URL checks', () => {
  it('accepts what the SDK signed, verified with the trusted key; unverified when no key is trusted', async () => {
    const url = await signed('read');
    expect(check(url)).toEqual({ signer: email, verified: true });
    expect(check(url, { keys: new Map() })).toEqual({ signer: email, verified: false });
    const put = await signed('write', { contentType: 'image/png' });
    expect(
      check(put, { method: 'PUT', headers: { host: '127.0.0.1', 'content-type': 'image/png' } }).verified,
    ).toBe(true);
  });

  it.each([
    [
      'no signature',
      (q: URLSearchParams) => q.delete('X-Goog-Signature'),
      400,
      'AuthorizationQueryParametersError',
    ],
    [
      'another algorithm',
      (q: URLSearchParams) => q.set('X-Goog-Algorithm', 'GOOG4-HMAC-SHA256'),
      400,
      'AuthorizationQueryParametersError',
    ],
    [
      'expires over 7 days',
      (q: URLSearchParams) => q.set('X-Goog-Expires', '604801'),
      400,
      'AuthorizationQueryParametersError',
    ],
    [
      'host not signed',
      (q: URLSearchParams) => q.set('X-Goog-SignedHeaders', 'content-type'),
      400,
      'AuthorizationQueryParametersError',
    ],
    [
      'a bad date',
      (q: URLSearchParams) => q.set('X-Goog-Date', '2026-01-01'),
      400,
      'AuthorizationQueryParametersError',
    ],
    [
      'a longer expiry (tampered)',
      (q: URLSearchParams) => q.set('X-Goog-Expires', '3600'),
      403,
      'SignatureDoesNotMatch',
    ],
  ] as const)('%s: %s %s', async (_what, tamper, status, code) => {
    const url = await signed('read');
    tamper(url.searchParams);
    const p = problem(() => check(url));
    expect([p.status, p.code]).toEqual([status, code]);
  });

  it('refuses an expired URL, one not valid yet, another method, another host, an untrusted signer', async () => {
    const url = await signed('read');
    const expired = problem(() => check(url, { now: new Date(Date.now() + 120_000) }));
    expect([expired.status, expired.code]).toEqual([400, 'ExpiredToken']);
    const early = await signed('read', {
      accessibleAt: new Date(Date.now() + 3_600_000),
      expires: Date.now() + 7_200_000,
    });
    expect(problem(() => check(early)).code).toBe('RequestNotYetValid');
    expect(problem(() => check(url, { method: 'PUT' })).code).toBe('SignatureDoesNotMatch');
    expect(problem(() => check(url, { headers: { host: 'evil.example:4443' } })).code).toBe(
      'SignatureDoesNotMatch',
    );
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(
      problem(() => check(url, { keys: new Map([['other@x.iam.gserviceaccount.com', stranger]]) })).code,
    ).toBe('AccessDenied');
  });

  it('sends errors as GCS XML', () => {
    expect(new XmlProblem(404, 'NoSuchKey', 'The specified key does not exist.', 'a<b').toXml()).toBe(
      "<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Details>a&#60;b</Details></Error>",
    );
  });
});
