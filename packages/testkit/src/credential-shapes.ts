/** One way a credential shows up in a provider's error text, a URL or a header dump. */
export interface CredentialShape {
  /** What the shape is, for test names. */
  readonly name: string;
  /** A text carrying the credential, as a provider might echo it in an error body. */
  readonly text: string;
  /** The secret parts: none of them may survive redaction. */
  readonly secrets: readonly string[];
}

const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQPEMSECRET01',
  '-----END PRIVATE KEY-----',
].join('\n');

/**
 * Credential shapes a library error must never carry: signed URLs (AWS SigV2/SigV4, GCS V2/V4,
 * Azure SAS, plain and URL-encoded), `Authorization` headers of every scheme, cookies, OAuth tokens,
 * API keys, private keys, connection strings, `user:token@` URLs and resumable session ids. Use
 * them to make a provider's error echo a secret (e.g. through the fault proxy's `message`) and
 * assert that no part of `secrets` appears in what the library throws or emits.
 */
export const CREDENTIAL_SHAPES: readonly CredentialShape[] = [
  {
    name: 'SigV2 signed URL Signature=',
    text: 'GET https://b.s3.amazonaws.com/k?AWSAccessKeyId=AKIAEXAMPLE&Expires=1700000000&Signature=sIgV2SECRET02%2Bx%3D',
    secrets: ['sIgV2SECRET02'],
  },
  {
    name: 'GCS V2 signed URL Signature=',
    text: 'https://storage.googleapis.com/b/o?GoogleAccessId=svc@p.iam.gserviceaccount.com&Expires=1700000000&Signature=gcsV2SECRET03abc',
    secrets: ['gcsV2SECRET03abc'],
  },
  {
    name: 'AWS4 Authorization header (credential and signature)',
    text: 'Authorization: AWS4-HMAC-SHA256 Credential=AKIASECRET04/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=aws4SECRET05deadbeef',
    secrets: ['AKIASECRET04', 'aws4SECRET05deadbeef'],
  },
  {
    name: 'X-Amz-Signature / X-Amz-Credential / X-Amz-Security-Token',
    text: 'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIASECRET06%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=IQoSECRET07&X-Amz-Signature=sigSECRET08',
    secrets: ['AKIASECRET06', 'IQoSECRET07', 'sigSECRET08'],
  },
  {
    name: 'X-Goog-Signature / X-Goog-Credential',
    text: 'https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=svcSECRET09%40p.iam.gserviceaccount.com%2F20260101&X-Goog-Signature=googSECRET10',
    secrets: ['svcSECRET09', 'googSECRET10'],
  },
  { name: 'api_key=', text: 'https://api.example.com/v1?api_key=akSECRET11&x=1', secrets: ['akSECRET11'] },
  { name: 'apikey=', text: 'https://api.example.com/v1?apikey=akSECRET12', secrets: ['akSECRET12'] },
  {
    name: 'JSON "authorization": "Bearer ..."',
    text: '{"headers":{"authorization": "Bearer jsonSECRET13", "accept":"*/*"}}',
    secrets: ['jsonSECRET13'],
  },
  {
    name: 'Authorization: Bearer',
    text: 'Authorization: Bearer ya29.bearerSECRET14',
    secrets: ['bearerSECRET14'],
  },
  {
    name: 'Authorization: Basic',
    text: 'authorization: Basic dXNlcjpwYXNzSECRET15',
    secrets: ['dXNlcjpwYXNzSECRET15'],
  },
  {
    name: 'Authorization: SharedKey',
    text: 'Authorization: SharedKey devstoreaccount1:skSECRET16+/abc=',
    secrets: ['skSECRET16'],
  },
  {
    name: 'Cookie:',
    text: 'Cookie: session=ckSECRET17; theme=dark; csrf=ckSECRET18',
    secrets: ['ckSECRET17', 'ckSECRET18'],
  },
  {
    name: 'Set-Cookie:',
    text: 'Set-Cookie: SID=scSECRET19; Path=/; HttpOnly; Secure',
    secrets: ['scSECRET19'],
  },
  {
    name: 'x-goog-iam-authorization-token',
    text: 'x-goog-iam-authorization-token: iamSECRET20',
    secrets: ['iamSECRET20'],
  },
  {
    name: 'refresh_token (form and JSON)',
    text: 'grant_type=refresh_token&refresh_token=1//rtSECRET21 body {"refresh_token": "1//rtSECRET22"}',
    secrets: ['rtSECRET21', 'rtSECRET22'],
  },
  {
    name: 'access_token (query and JSON)',
    text: '/upload?access_token=ya29.atSECRET23 {"access_token":"ya29.atSECRET24","expires_in":3599}',
    secrets: ['atSECRET23', 'atSECRET24'],
  },
  {
    name: 'client_secret (form and JSON)',
    text: 'client_id=abc&client_secret=csSECRET25 {"client_secret": "csSECRET26"}',
    secrets: ['csSECRET25', 'csSECRET26'],
  },
  {
    name: 'private_key in JSON (escaped PEM)',
    text: `{"type":"service_account","private_key":"${PEM.replaceAll('\n', '\\n')}\\n","client_email":"svc@p"}`,
    secrets: ['PEMSECRET01', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ'],
  },
  { name: 'PEM block', text: `key file:\n${PEM}\n`, secrets: ['PEMSECRET01'] },
  {
    name: 'PEM block cut short',
    text: 'bad key -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAcutSECRET27',
    secrets: ['cutSECRET27'],
  },
  {
    name: 'AccountKey= in a connection string',
    text: 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=akySECRET28+/Zz==;EndpointSuffix=core.windows.net',
    secrets: ['akySECRET28'],
  },
  {
    name: 'SharedAccessSignature in a connection string',
    text: 'BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=b&srt=sco&sp=rwdlac&se=2026-01-01&sig=sasSECRET29%3D',
    secrets: ['sasSECRET29'],
  },
  {
    name: 'SAS query parameters (sig, se, skoid)',
    text: 'https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2026-01-01T00%3A00%3A00Z&sr=b&sp=r&skoid=skoidSECRET30&sig=sigSECRET31%2Bx%3D',
    secrets: ['sigSECRET31', 'skoidSECRET30'],
  },
  {
    name: 'URL-encoded SAS (%3D, %26)',
    text: 'redirect=https%3A%2F%2Facct.blob.core.windows.net%2Fc%2Fb%3Fsv%3D2022-11-02%26sig%3DencSECRET32%26se%3D2026',
    secrets: ['encSECRET32'],
  },
  {
    name: 'user:token@ in URLs',
    text: 'fetch https://deploy:ghpSECRET33@git.example.com/repo.git failed',
    secrets: ['ghpSECRET33'],
  },
  {
    name: ':password@ (no user) in URLs',
    text: 'redis://:pwSECRET34@cache.internal:6379/0',
    secrets: ['pwSECRET34'],
  },
  { name: 'token@ in URLs', text: 'https://tokSECRET35@proxy.example.com:8080/', secrets: ['tokSECRET35'] },
  {
    name: 'x-ms-copy-source-authorization',
    text: 'x-ms-copy-source-authorization: Bearer copySECRET36',
    secrets: ['copySECRET36'],
  },
  {
    name: 'upload_id (GCS resumable session)',
    text: 'PUT https://storage.googleapis.com/upload/storage/v1/b/b/o?uploadType=resumable&upload_id=ADPycdSECRET37',
    secrets: ['ADPycdSECRET37'],
  },
  {
    name: 'x-amz-security-token header',
    text: 'x-amz-security-token: IQoJstsSECRET38',
    secrets: ['IQoJstsSECRET38'],
  },
  {
    name: 'x-goog-api-key header and key= parameter',
    text: 'x-goog-api-key: AIzaHdrSECRET39 https://www.googleapis.com/storage/v1/b?key=AIzaQsSECRET40',
    secrets: ['AIzaHdrSECRET39', 'AIzaQsSECRET40'],
  },
  {
    name: 'password= in a connection string',
    text: 'Server=db;User Id=app;Password=pwdSECRET41;',
    secrets: ['pwdSECRET41'],
  },
  {
    name: 'Proxy-Authorization header',
    text: 'Proxy-Authorization: Basic cHJveHlSECRET42',
    secrets: ['cHJveHlSECRET42'],
  },
  {
    name: 'util.inspect of a header object',
    text: "headers: { Authorization: 'Bearer inspSECRET43', 'set-cookie': [ 'a=inspSECRET44; Path=/' ] }",
    secrets: ['inspSECRET43', 'inspSECRET44'],
  },
  {
    name: 'XML-escaped JSON and headers (&quot;, &#39;, &amp;)',
    text: '<Message>{&quot;refresh_token&quot;: &quot;1//xmlSECRET45&quot;} Authorization: &#39;Bearer xmlSECRET46&#39; ?a=1&amp;sig=xmlSECRET47 &amp;quot;client_secret&amp;quot;:&amp;quot;xmlSECRET48&amp;quot;</Message>',
    secrets: ['xmlSECRET45', 'xmlSECRET46', 'xmlSECRET47', 'xmlSECRET48'],
  },
  {
    name: 'JSON escaped inside a JSON string (an error body carried as a message)',
    text: String.raw`{"error":{"code":403,"message":"{\"headers\":{\"authorization\": \"Bearer escSECRET49\"}, \"refresh_token\": \"escSECRET50\", \"Cookie\": \"sid=escSECRET51\"}"}}`,
    secrets: ['escSECRET49', 'escSECRET50', 'escSECRET51'],
  },
];
