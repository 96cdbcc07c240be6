/** One credential shape {@link redact} removes: a pattern and what a match becomes. */
interface RedactionRule {
  /** What the rule catches, for readers of the table. */
  readonly shape: string;
  readonly pattern: RegExp;
  readonly replace: (match: string, ...groups: string[]) => string;
}

const MASK = '[redacted]';

/** Header-like fields whose whole value is a credential (`name: value`, `"name": "value"`). */
const HEADER_NAMES = [
  'x-ms-copy-source-authorization',
  'x-goog-iam-authorization-token',
  'proxy-authorization',
  'authorization',
  'x-amz-security-token',
  'x-goog-api-key',
  'x-api-key',
  'ocp-apim-subscription-key',
].join('|');

/** JSON / YAML / `name: value` fields that hold a secret. */
const FIELD_NAMES = [
  'refresh_token',
  'access_token',
  'id_token',
  'client_secret',
  'private_key_id',
  'private_key',
  'api_key',
  'apikey',
  'api-key',
  'password',
  'passwd',
  'secret',
  'sas_token',
  'token',
  'upload_id',
].join('|');

/** Query-string and connection-string parameters that carry a credential (`name=value`). */
const PARAM_NAMES = [
  'X-Amz-Signature',
  'X-Amz-Credential',
  'X-Amz-Security-Token',
  'X-Goog-Signature',
  'X-Goog-Credential',
  'AWSAccessKeyId',
  'GoogleAccessId',
  'Signature',
  'Credential',
  'SharedAccessKey',
  'AccountKey',
  'sig',
  'se',
  'sv',
  'sp',
  'spr',
  'srt',
  'ss',
  'skoid',
  'sktid',
  'skt',
  'ske',
  'sks',
  'skv',
  'refresh_token',
  'access_token',
  'id_token',
  'client_secret',
  'private_key',
  'upload_id',
  'api_key',
  'apikey',
  'api-key',
  'sas_token',
  'token',
  'key',
  'password',
  'passwd',
].join('|');

// Before a parameter: start, a separator, or the URL-encoded `&`, `?`, `;` and space.
const PARAM_START = String.raw`(^|[?&;,\s"'({\[]|%26|%3[Ff]|%3[Bb]|%20)`;
// A parameter's value ends at a separator or at an URL-encoded `&` / `;`.
const PARAM_VALUE = String.raw`(?!\[redacted\])(?:(?!%26|%3[Bb])[^&;,\s"'<>)}\]])+`;
const QUOTED = String.raw`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`;
// A value quoted inside a JSON string, at any depth (`\"Bearer ...\"`): an error body carried as a message.
const ESCAPED_QUOTED = String.raw`\\+"(?:(?!\\+")[^"\r\n])*\\+"`;

/**
 * The credential shapes, applied in order. Each replaces the secret and keeps the name, so a
 * message still says what was there.
 */
const RULES: readonly RedactionRule[] = [
  {
    shape: 'PEM private key blocks (also JSON-escaped, also cut short)',
    pattern:
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----|[A-Za-z0-9+/=\s\\]*)/g,
    replace: () => '[redacted private key]',
  },
  {
    shape: 'Cookie and Set-Cookie headers (the rest of the line, a quoted value or a list)',
    pattern: new RegExp(
      String.raw`\b(set-cookie|cookie)(\\*["']?)(\s*[:=]\s*)(${ESCAPED_QUOTED}|${QUOTED}|\[[^\]]*\]|[^\r\n]*)`,
      'gi',
    ),
    replace: (_m, name, quote, sep) => `${name}${quote}${sep}${MASK}`,
  },
  {
    shape: 'Authorization-like headers: Bearer, Basic, AWS4-HMAC-SHA256, SharedKey, tokens',
    pattern: new RegExp(
      String.raw`(?<![\w-])(${HEADER_NAMES})(\\*["']?)(\s*[:=]\s*)(${ESCAPED_QUOTED}|${QUOTED}|\[[^\]]*\]|[A-Za-z0-9_-]+\s+[^\s,;"'<>]+|[^\s,;"'<>]+)`,
      'gi',
    ),
    replace: (_m, name, quote, sep) => `${name}${quote}${sep}${MASK}`,
  },
  {
    shape: 'secret fields in JSON and `name: value` text (refresh_token, private_key, client_secret...)',
    pattern: new RegExp(
      String.raw`(?<![\w-])(${FIELD_NAMES})(\\*["']?)(\s*:\s*)(${ESCAPED_QUOTED}|${QUOTED}|[^\s,;&}"'<>]+)`,
      'gi',
    ),
    replace: (_m, name, quote, sep) => `${name}${quote}${sep}${MASK}`,
  },
  {
    shape: 'SharedAccessSignature in a connection string (the whole token up to `;`)',
    pattern: /(?<![\w-])(SharedAccessSignature)(=|%3[Dd])([^;\s"']+)/gi,
    replace: (_m, name, eq) => `${name}${eq}${MASK}`,
  },
  {
    shape: 'signed-URL, SAS, OAuth and connection-string parameters (plain and URL-encoded)',
    pattern: new RegExp(`${PARAM_START}(${PARAM_NAMES})(=|%3[Dd])(${PARAM_VALUE})`, 'gi'),
    replace: (_m, pre, name, eq) => `${pre}${name}${eq}${MASK}`,
  },
  {
    shape: 'user:password@ or token@ in URLs (also URL-encoded)',
    pattern: /(\b[a-z][a-z0-9+.-]*:(?:\/\/|%2[Ff]%2[Ff]))(?:[^/\s@?#"'<>]|%[0-9A-Fa-f]{2})+(@|%40)/gi,
    replace: (_m, scheme, at) => `${scheme}${MASK}${at}`,
  },
];

const ENTITY = /&(?:(quot|apos|amp|lt|gt)|#(\d{1,5})|#[xX]([0-9a-fA-F]{1,4}));/g;
const NAMED_ENTITIES: Readonly<Record<string, string>> = { quot: '"', apos: "'", amp: '&', lt: '<', gt: '>' };

function decodeEntity(match: string, named?: string, dec?: string, hex?: string): string {
  if (named !== undefined) return NAMED_ENTITIES[named] ?? match;
  const code = dec !== undefined ? Number(dec) : Number.parseInt(hex ?? '', 16);
  return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : match;
}

/**
 * Removes credentials from a text before it goes into an error message, a log line or an event:
 * signed-URL parameters (AWS SigV2/SigV4 `Signature`, `X-Amz-*`, GCS `X-Goog-*`, Azure SAS `sig`,
 * `se`..., plain or URL-encoded), connection-string `AccountKey` and `SharedAccessSignature`, OAuth
 * `access_token` / `refresh_token` / `client_secret`, `api_key`, `private_key` and PEM blocks,
 * resumable `upload_id`s, `Authorization`-like headers (Bearer, Basic, AWS4-HMAC-SHA256, SharedKey),
 * `Cookie` / `Set-Cookie`, JSON fields of those names, and `user:password@` in URLs. XML and HTML
 * character references (`&quot;`, `&#39;`, `&amp;`) are read as the characters they stand for (and
 * decoded in the result). Used by every error the library builds.
 */
export function redact(text: string): string {
  // Error bodies come as XML or HTML too: read `&quot;`, `&#39;`, `&amp;`... as the characters.
  // Twice-escaped text (`&amp;quot;`) is read through as well.
  let out = text;
  for (let i = 0; i < 3 && out.includes('&'); i++) {
    const decoded = out.replace(ENTITY, decodeEntity);
    if (decoded === out) break;
    out = decoded;
  }
  for (const rule of RULES) {
    rule.pattern.lastIndex = 0;
    out = out.replace(rule.pattern, rule.replace as (m: string, ...g: string[]) => string);
  }
  return out;
}
