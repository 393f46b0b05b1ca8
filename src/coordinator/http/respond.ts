// Writing responses. Every error is the same JSON object, { "error": { code, message, field?,
// reasons?, requestId? } }, with the HTTP status that ERROR_CODES gives its code; an error kura
// did not expect is INTERNAL, logged with its stack on the server and never shown to the caller.
import type { ServerResponse } from 'node:http';
import { ERROR_CODES, KuraError } from '../../errors.js';
import type { RouteResult } from './route.js';

export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly field?: string;
    readonly reasons?: unknown;
    readonly requestId?: string;
    readonly allow?: readonly string[];
  };
}

const COMMON_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
} as const;

/**
 * JSON with bigints as decimal strings. Most answers hold none (amounts are already strings), and
 * a replacer function costs on every key of a large answer, so it is used only when the plain
 * call refuses a bigint.
 */
function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
}

/** A KuraError for any thrown value; a non-KuraError is a bug and becomes INTERNAL. */
export function asKuraError(error: unknown, log: (line: string) => void): KuraError {
  if (error instanceof KuraError && error.code !== 'INTERNAL') return error;
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  log(`kura: INTERNAL: ${detail}`);
  return new KuraError('INTERNAL', 'the coordinator hit an internal error; its log has the details');
}

export function errorBody(error: KuraError): ErrorBody {
  const { details } = error;
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(typeof details.field === 'string' ? { field: details.field } : {}),
      ...(Array.isArray(details.reasons) ? { reasons: details.reasons } : {}),
      ...(typeof details.requestId === 'string' ? { requestId: details.requestId } : {}),
      ...(Array.isArray(details.allow) ? { allow: details.allow as string[] } : {}),
    },
  };
}

export function sendResult(res: ServerResponse, result: RouteResult): void {
  const headers: Record<string, string> = { ...COMMON_HEADERS, ...result.headers };
  // Text goes to res.end as a string: node then writes the head and the body in one write, where
  // a Buffer body costs a copy and a second buffer in the socket write.
  let payload: string | Buffer;
  if ('json' in result) {
    headers['Content-Type'] = 'application/json; charset=utf-8';
    payload = jsonText(result.json);
  } else {
    headers['Content-Type'] = result.contentType;
    payload = typeof result.body === 'string' ? result.body : Buffer.from(result.body);
  }
  headers['Content-Length'] = String(
    typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length,
  );
  res.writeHead(result.status, headers);
  res.end(payload, 'utf8');
}

/**
 * Sends an error. `close` asks the client to drop the connection: set when the request's body
 * was not read to its end, so nothing the client still sends is taken for a next request.
 */
export function sendError(res: ServerResponse, error: KuraError, close: boolean): void {
  const headers: Record<string, string> = {};
  if (ERROR_CODES[error.code].http === 401) headers['WWW-Authenticate'] = 'Bearer realm="kura"';
  const allow = error.details.allow;
  if (error.code === 'HTTP_METHOD_NOT_ALLOWED' && Array.isArray(allow)) headers.Allow = allow.join(', ');
  if (close) headers.Connection = 'close';
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendResult(res, { status: ERROR_CODES[error.code].http, json: errorBody(error), headers });
}

/** The raw response for a request node's parser refused (it never reached a route). */
export function malformedRequestResponse(message: string): string {
  const body = jsonText({ error: { code: 'HTTP_REQUEST_MALFORMED', message } });
  return [
    `HTTP/1.1 ${ERROR_CODES.HTTP_REQUEST_MALFORMED.http} Bad Request`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}
