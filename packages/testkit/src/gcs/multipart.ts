import { parseJsonObject } from './http-io.js';
import { GcsProblem } from './problem.js';

/** The two parts of a `multipart/related` upload. */
export interface MultipartUpload {
  /** The JSON metadata part. */
  metadata: Record<string, unknown>;
  /** The content part. */
  data: Buffer;
  /** The content part's own `Content-Type`, if it had one. */
  dataContentType: string | undefined;
}

/** The `boundary` parameter of a `multipart/related` Content-Type, or undefined when it is not one. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/related\b/i.test(contentType.trim())) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

const bad = (why: string): GcsProblem =>
  new GcsProblem(400, 'badRequest', `Invalid multipart request: ${why}.`);

/**
 * Splits a `multipart/related` body into its JSON metadata part and its content part. The
 * content runs up to the last closing delimiter, so content bytes that happen to look like a
 * delimiter do not cut it short. CRLF line ends are expected; bare LF is accepted.
 */
export function parseMultipartRelated(body: Buffer, boundary: string): MultipartUpload {
  const delim = `--${boundary}`;
  const first = body.indexOf(delim);
  if (first < 0) throw bad('no opening boundary');
  const part1 = readPartHeaders(body, first + delim.length);
  const end1 = findDelimiter(body, delim, part1.bodyStart);
  if (!end1) throw bad('the metadata part is not terminated');
  const part2 = readPartHeaders(body, end1.index + end1.length);
  const close = findClosingDelimiter(body, delim, part2.bodyStart);
  if (!close) throw bad('no closing boundary');
  const metadataType = part1.headers['content-type'] ?? 'application/json';
  if (!/json/i.test(metadataType)) throw bad('the first part must be JSON metadata');
  return {
    metadata: parseJsonObject(body.subarray(part1.bodyStart, end1.index)),
    data: body.subarray(part2.bodyStart, close),
    dataContentType: part2.headers['content-type'],
  };
}

function readPartHeaders(
  body: Buffer,
  afterDelimiter: number,
): { headers: Record<string, string>; bodyStart: number } {
  let pos = afterDelimiter;
  if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
  else if (body[pos] === 0x0a) pos += 1;
  else throw bad('a boundary is not followed by a line end');
  let headerEnd = body.indexOf('\r\n\r\n', pos);
  let sepLength = 4;
  const lfEnd = body.indexOf('\n\n', pos);
  if (headerEnd < 0 || (lfEnd >= 0 && lfEnd < headerEnd)) {
    headerEnd = lfEnd;
    sepLength = 2;
  }
  // A part with no headers starts right after the boundary's line end.
  if (body[pos] === 0x0d && body[pos + 1] === 0x0a) return { headers: {}, bodyStart: pos + 2 };
  if (body[pos] === 0x0a) return { headers: {}, bodyStart: pos + 1 };
  if (headerEnd < 0) throw bad('part headers are not terminated');
  const headers: Record<string, string> = {};
  for (const line of body.subarray(pos, headerEnd).toString('utf8').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, bodyStart: headerEnd + sepLength };
}

function findDelimiter(
  body: Buffer,
  delim: string,
  from: number,
): { index: number; length: number } | undefined {
  const crlf = body.indexOf(`\r\n${delim}`, from);
  const lf = body.indexOf(`\n${delim}`, from);
  if (crlf >= 0 && (lf < 0 || crlf <= lf - 1)) return { index: crlf, length: delim.length + 2 };
  if (lf >= 0) return { index: lf, length: delim.length + 1 };
  return undefined;
}

function findClosingDelimiter(body: Buffer, delim: string, from: number): number | undefined {
  const crlf = body.lastIndexOf(`\r\n${delim}--`);
  if (crlf >= from) return crlf;
  const lf = body.lastIndexOf(`\n${delim}--`);
  if (lf >= from) return lf;
  return undefined;
}
