/**
 * The common prefix a key rolls up into when listing with `prefix` and `delimiter`: the key up to
 * and including the first `delimiter` after `prefix`, or `undefined` when there is none (the key is
 * listed as an object). The same rule S3, GCS and Azure apply.
 */
export function commonPrefixOf(
  key: string,
  prefix: string,
  delimiter: string | undefined,
): string | undefined {
  if (!delimiter) return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}
