import { createHash, createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { XmlProblem } from './xml-problem.js';

/** The V4 signing algorithm of a service-account key (`GOOG4-RSA-SHA256`). */
export const V4_ALGORITHM = 'GOOG4-RSA-SHA256';
/** GCS refuses V4 URLs valid for longer than seven days. */
const MAX_EXPIRES_S = 604_800;

/** Whether a request carries V4 signed-URL query parameters (and so speaks the XML API). */
export function isSignedUrlRequest(query: URLSearchParams): boolean {
  return query.has('X-Goog-Signature') || query.has('X-Goog-Algorithm');
}

/** A signed request that passed the checks. */
export interface SignedRequest {
  /** The service account (`client_email`) that signed it. */
  readonly signer: string;
  /** Whether its signature was checked against a public key the emulator trusts. */
  readonly verified: boolean;
}

/** What {@link checkSignedUrl} needs from the request. */
export interface SignedUrlInput {
  readonly method: string;
  /** The path as sent (still percent-encoded). */
  readonly rawPath: string;
  /** The query string as sent, without `?`. */
  readonly rawQuery: string;
  readonly headers: IncomingHttpHeaders;
  /** Public keys by service-account email; a signer not in it is not verified (see below). */
  readonly keys: ReadonlyMap<string, KeyObject>;
  readonly now: Date;
}

/**
 * Checks a V4 signed-URL request as GCS does: the parameters are present and well formed
 * (`X-Goog-Algorithm=GOOG4-RSA-SHA256`, `X-Goog-Credential=<email>/<date>/auto/storage/goog4_request`,
 * `X-Goog-Date`, `X-Goog-Expires` of at most 7 days, `X-Goog-SignedHeaders` including `host`, a
 * hex `X-Goog-Signature`): 400 `AuthorizationQueryParametersError` otherwise; the URL has not
 * expired (`X-Goog-Date` + `X-Goog-Expires` is past: 400 `ExpiredToken`) and is already valid (a
 * date more than 15 minutes ahead: 400 `RequestNotYetValid`).
 *
 * The signature itself is verified only when the emulator knows the signer's public key (see
 * `trustSigner`): the canonical request is rebuilt from the method, path, query and signed headers
 * (the `host` header without its port, as the SDK signs it) and the signature checked with RSA-SHA256;
 * a mismatch (another method, path, header value, a tampered parameter) is 403
 * `SignatureDoesNotMatch`. With trusted keys set, a signer the emulator does not know is 403
 * `AccessDenied`. With none set every well-formed, unexpired URL is accepted, whoever signed it.
 */
export function checkSignedUrl(input: SignedUrlInput): SignedRequest {
  const pairs = parseQuery(input.rawQuery);
  const param = (name: string): string => {
    const found = pairs.filter(([k]) => k === name);
    if (found.length !== 1) throw badParameters(`exactly one ${name} query parameter is required`);
    return found[0]![1];
  };
  const algorithm = param('X-Goog-Algorithm');
  if (algorithm !== V4_ALGORITHM) throw badParameters(`X-Goog-Algorithm must be ${V4_ALGORITHM}`);
  const credential = param('X-Goog-Credential');
  const match = /^([^/]+)\/(\d{8})\/([^/]+)\/storage\/goog4_request$/.exec(credential);
  if (!match)
    throw badParameters('X-Goog-Credential must be <email>/<YYYYMMDD>/<region>/storage/goog4_request');
  const [, signer, scopeDate, region] = match as unknown as [string, string, string, string];
  const date = param('X-Goog-Date');
  const signedAt = parseGoogDate(date);
  if (signedAt === undefined || date.slice(0, 8) !== scopeDate) {
    throw badParameters('X-Goog-Date must be YYYYMMDDTHHMMSSZ, on the day of the credential scope');
  }
  const expiresText = param('X-Goog-Expires');
  const expires = Number(expiresText);
  if (!/^\d+$/.test(expiresText) || expires < 1 || expires > MAX_EXPIRES_S) {
    throw badParameters(`X-Goog-Expires must be a whole number of seconds from 1 to ${MAX_EXPIRES_S}`);
  }
  const signedHeaders = param('X-Goog-SignedHeaders').split(';');
  if (!signedHeaders.includes('host')) throw badParameters('X-Goog-SignedHeaders must include host');
  const signature = param('X-Goog-Signature');
  if (!/^[0-9a-f]+$/i.test(signature)) throw badParameters('X-Goog-Signature must be hex');

  const now = input.now.getTime();
  if (now > signedAt + expires * 1000) {
    throw new XmlProblem(
      400,
      'ExpiredToken',
      'Invalid argument.',
      `Request signature expired at: ${new Date(signedAt + expires * 1000).toISOString()}`,
    );
  }
  if (signedAt - now > 15 * 60 * 1000) {
    throw new XmlProblem(400, 'RequestNotYetValid', 'Invalid argument.', 'X-Goog-Date is in the future');
  }

  const key = input.keys.get(signer);
  if (key === undefined) {
    if (input.keys.size > 0)
      throw new XmlProblem(403, 'AccessDenied', `The signer ${signer} is not trusted.`);
    return { signer, verified: false };
  }
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${canonicalHeaderValue(name, input.headers)}\n`)
    .join('');
  const canonicalQuery = pairs
    .filter(([k]) => k !== 'X-Goog-Signature')
    .map(([k, v]) => [strictEncode(k), strictEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const payload = headerText(input.headers['x-goog-content-sha256']) ?? 'UNSIGNED-PAYLOAD';
  const canonicalRequest = [
    input.method,
    input.rawPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(';'),
    payload,
  ].join('\n');
  const toSign = [
    V4_ALGORITHM,
    date,
    `${scopeDate}/${region}/storage/goog4_request`,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const ok = createVerify('RSA-SHA256').update(toSign).verify(key, signature, 'hex');
  if (!ok) {
    throw new XmlProblem(
      403,
      'SignatureDoesNotMatch',
      'Access denied.',
      'The request signature we calculated does not match the signature you provided. Check your Google secret key and signing method.',
    );
  }
  return { signer, verified: true };
}

/** A public key from PEM text or a key object (a private key yields its public half). */
export function publicKeyOf(key: string | KeyObject): KeyObject {
  const k = typeof key === 'string' ? createPublicKey(key) : key.type === 'public' ? key : createPublicKey(key);
  if (k.asymmetricKeyType !== 'rsa') throw new TypeError('not an RSA key');
  return k;
}

function badParameters(details: string): XmlProblem {
  return new XmlProblem(
    400,
    'AuthorizationQueryParametersError',
    'Query-string authentication version 4 requires the X-Goog-Algorithm, X-Goog-Credential, X-Goog-Signature, X-Goog-Date, X-Goog-SignedHeaders and X-Goog-Expires parameters.',
    details,
  );
}

/** `key=value` pairs, decoded (`+` is a space, as in any form-encoded query). */
function parseQuery(raw: string): [string, string][] {
  if (raw === '') return [];
  return raw.split('&').map((part) => {
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    try {
      return [decodeURIComponent(k.replace(/\+/g, ' ')), decodeURIComponent(v.replace(/\+/g, ' '))];
    } catch {
      throw badParameters('the query string is not valid percent-encoding');
    }
  });
}

/** RFC 3986 encoding, as the SDK encodes query parameters for the canonical request. */
function strictEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function parseGoogDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  return Number.isNaN(t) ? undefined : t;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** A signed header's value as signed: `host` without its port (the SDK signs the host name only). */
function canonicalHeaderValue(name: string, headers: IncomingHttpHeaders): string {
  const raw = headerText(headers[name]) ?? '';
  const value = name === 'host' ? raw.replace(/:\d+$/, '') : raw;
  return value.trim().replace(/\s{2,}/g, ' ');
}
