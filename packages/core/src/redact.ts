const SECRET_PARAMS =
  /([?&;\s]|^)(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|X-Goog-Signature|X-Goog-Credential|sig|se|sv|sp|spr|srt|ss|skoid|sktid|AccountKey|SharedAccessSignature|SharedAccessKey|access_token|upload_id|token|key|client_secret|password)=([^&;\s"']+)/gi;
const AUTH_HEADERS =
  /\b(authorization|x-amz-security-token|x-goog-api-key|x-ms-copy-source-authorization)\s*[:=]\s*("[^"]*"|'[^']*'|[^\s,;]+(?:\s+[^\s,;]+)?)/gi;
const URL_USERINFO = /(\w+:\/\/)[^/\s:@]+:[^/\s@]+@/g;

/**
 * Removes credentials from a text before it goes into an error message, a log line or an event:
 * signed-URL parameters (AWS, GCS, Azure SAS), account keys, tokens, `Authorization` values and
 * `user:password@` in URLs. Used by every error the library builds.
 */
export function redact(text: string): string {
  return text
    .replace(SECRET_PARAMS, (_m, pre: string, name: string) => `${pre}${name}=[redacted]`)
    .replace(AUTH_HEADERS, (_m, name: string) => `${name}: [redacted]`)
    .replace(URL_USERINFO, '$1[redacted]@');
}
