import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { FaultFlavor, StatusFault } from './types.js';

/** A response the proxy sends for a `status` fault. */
export interface InjectedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

interface CodeAndMessage {
  readonly code: string;
  readonly message: string;
}

const S3_ERRORS: Record<number, CodeAndMessage> = {
  400: { code: 'InvalidRequest', message: 'Invalid Request' },
  403: { code: 'AccessDenied', message: 'Access Denied' },
  404: { code: 'NoSuchKey', message: 'The specified key does not exist.' },
  408: {
    code: 'RequestTimeout',
    message:
      'Your socket connection to the server was not read from or written to within the timeout period.',
  },
  409: {
    code: 'OperationAborted',
    message: 'A conflicting conditional operation is currently in progress against this resource.',
  },
  412: {
    code: 'PreconditionFailed',
    message: 'At least one of the pre-conditions you specified did not hold',
  },
  429: { code: 'TooManyRequests', message: 'Too many requests. Please reduce your request rate.' },
  500: { code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
  501: {
    code: 'NotImplemented',
    message: 'A header you provided implies functionality that is not implemented',
  },
  502: { code: 'BadGateway', message: 'Bad Gateway' },
  503: { code: 'SlowDown', message: 'Please reduce your request rate.' },
  504: { code: 'GatewayTimeout', message: 'Gateway Timeout' },
};

const AZURE_ERRORS: Record<number, CodeAndMessage> = {
  400: { code: 'InvalidInput', message: 'One of the request inputs is not valid.' },
  403: { code: 'AuthenticationFailed', message: 'Server failed to authenticate the request.' },
  404: { code: 'BlobNotFound', message: 'The specified blob does not exist.' },
  409: { code: 'BlobAlreadyExists', message: 'The specified blob already exists.' },
  412: {
    code: 'ConditionNotMet',
    message: 'The condition specified using HTTP conditional header(s) is not met.',
  },
  429: { code: 'TooManyRequests', message: 'Operations per second is over the account limit.' },
  500: {
    code: 'InternalError',
    message: 'The server encountered an internal error. Please retry the request.',
  },
  502: { code: 'BadGateway', message: 'Bad Gateway' },
  503: {
    code: 'ServerBusy',
    message: 'The server is currently unable to receive requests. Please retry your request.',
  },
  504: {
    code: 'OperationTimedOut',
    message: 'The operation could not be completed within the permitted time.',
  },
};

const GCS_ERRORS: Record<number, CodeAndMessage> = {
  400: { code: 'invalid', message: 'Invalid argument.' },
  401: { code: 'required', message: 'Anonymous caller does not have storage.objects.get access.' },
  403: { code: 'forbidden', message: 'Access denied.' },
  404: { code: 'notFound', message: 'No such object.' },
  408: { code: 'requestTimeout', message: 'Request timed out.' },
  409: { code: 'conflict', message: 'Conflict.' },
  412: { code: 'conditionNotMet', message: 'At least one of the pre-conditions you specified did not hold.' },
  429: {
    code: 'rateLimitExceeded',
    message: 'The rate of change requests to the object is too high. Please slow down.',
  },
  500: { code: 'backendError', message: 'We encountered an internal error. Please try again.' },
  502: { code: 'badGateway', message: 'Bad Gateway' },
  503: { code: 'backendError', message: 'The service is currently unavailable.' },
  504: { code: 'gatewayTimeout', message: 'Gateway Timeout' },
};

function fallback(status: number, flavor: 's3' | 'azure' | 'gcs'): CodeAndMessage {
  const text = STATUS_CODES[status] ?? 'Error';
  if (flavor === 'gcs') return { code: status >= 500 ? 'backendError' : 'invalid', message: text };
  if (status >= 500) return { code: flavor === 's3' ? 'ServiceUnavailable' : 'ServerBusy', message: text };
  return { code: flavor === 's3' ? 'InvalidRequest' : 'InvalidInput', message: text };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function requestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

/**
 * The response a `status` fault sends: the flavor's body and headers for the status (or the
 * fault's own `body`), the fault's `headers` on top, and `Retry-After` when asked (default 1 s for
 * 429).
 */
export function injectedResponse(fault: StatusFault, flavor: FaultFlavor, path: string): InjectedResponse {
  const { status } = fault;
  let headers: Record<string, string>;
  let body: Buffer;
  if (flavor === 'http') {
    headers = { 'content-type': 'text/plain; charset=utf-8' };
    body = Buffer.from(`${status} ${fault.message ?? STATUS_CODES[status] ?? ''}`.trim());
  } else {
    const table = flavor === 's3' ? S3_ERRORS : flavor === 'azure' ? AZURE_ERRORS : GCS_ERRORS;
    const known = table[status] ?? fallback(status, flavor);
    const code = fault.code ?? known.code;
    const message = fault.message ?? known.message;
    const id = requestId();
    if (flavor === 's3') {
      headers = { 'content-type': 'application/xml', 'x-amz-request-id': id, 'x-amz-id-2': id };
      body = Buffer.from(
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
          `<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>` +
          `<Resource>${escapeXml(path)}</Resource><RequestId>${id}</RequestId></Error>`,
      );
    } else if (flavor === 'azure') {
      headers = {
        'content-type': 'application/xml',
        'x-ms-error-code': code,
        'x-ms-request-id': id,
        'x-ms-version': '2025-01-05',
      };
      body = Buffer.from(
        '<?xml version="1.0" encoding="utf-8"?>' +
          `<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}\n` +
          `RequestId:${id}\nTime:${new Date().toISOString()}</Message></Error>`,
      );
    } else {
      headers = { 'content-type': 'application/json; charset=UTF-8' };
      body = Buffer.from(
        JSON.stringify({
          error: { code: status, message, errors: [{ domain: 'global', reason: code, message }] },
        }),
      );
    }
  }
  const retryAfter = fault.retryAfterSeconds ?? (status === 429 ? 1 : undefined);
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  if (fault.body !== undefined) body = Buffer.from(fault.body);
  for (const [name, value] of Object.entries(fault.headers ?? {})) headers[name.toLowerCase()] = value;
  return { status, headers, body };
}
