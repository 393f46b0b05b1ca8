// Reading request bodies: the media type checked before a byte is read, the size bounded by the
// Content-Length header and again while reading (a chunked body has none), and JSON parsed from
// strict UTF-8. Every refusal is typed; nothing is buffered past the bound.
import type { IncomingMessage } from 'node:http';
import { KuraError } from '../../errors.js';
import type { BodyOptions } from './route.js';

/** JSON bodies (a withdrawal, an approval) are a few hundred bytes; 64 KiB is generous. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

function tooLarge(maxBytes: number): KuraError {
  return new KuraError('HTTP_BODY_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`, {
    field: '(body)',
    maxBytes,
  });
}

/** Refuses a Content-Type outside `accepted`, or with a charset other than UTF-8. */
export function checkContentType(header: string | undefined, accepted: readonly string[]): void {
  const [type = '', ...parameters] = (header ?? '').split(';');
  const mediaType = type.trim().toLowerCase();
  const charset = parameters
    .map((p) => p.trim().toLowerCase())
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/^"(.*)"$/, '$1');
  if (!accepted.includes(mediaType) || (charset !== undefined && charset !== 'utf-8')) {
    throw new KuraError(
      'HTTP_CONTENT_TYPE_UNSUPPORTED',
      `"Content-Type" must be ${accepted.join(' or ')}${charset === undefined ? '' : ' (charset utf-8)'}, got ${JSON.stringify((header ?? '').slice(0, 100))}`,
      { field: 'Content-Type', accepted },
    );
  }
}

/** Reads the whole body, refusing it as soon as it passes `maxBytes`. */
export function readBody(req: IncomingMessage, options: BodyOptions): Promise<Buffer> {
  checkContentType(req.headers['content-type'], options.contentTypes);
  const declared = req.headers['content-length'];
  if (declared !== undefined && (!/^\d{1,15}$/.test(declared) || Number(declared) > options.maxBytes)) {
    return Promise.reject(tooLarge(options.maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let done = false;
    const finish = (error: KuraError | undefined): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
      if (error === undefined) resolve(Buffer.concat(chunks, length));
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > options.maxBytes) {
        // Stop buffering; the server answers and closes the connection (readFully is false).
        req.pause();
        finish(tooLarge(options.maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (): void =>
      finish(new KuraError('HTTP_REQUEST_MALFORMED', 'the request body was cut off', { field: '(body)' }));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}

/** Parses a JSON body: strict UTF-8, one JSON value, nothing else. */
export function parseJsonBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (cause) {
    throw new KuraError('JSON_MALFORMED', 'the request body is not UTF-8', { field: '(body)' }, cause);
  }
  if (text.trim() === '') {
    throw new KuraError('JSON_MALFORMED', 'the request body is empty; a JSON object is expected', {
      field: '(body)',
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new KuraError('JSON_MALFORMED', 'the request body is not valid JSON', { field: '(body)' }, cause);
  }
}
