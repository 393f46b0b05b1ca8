// One HTTP POST to the node, with a hard deadline for the whole exchange (connect, headers and
// body) and a bound on the body size. Failures become KuraErrors whose code says whether another
// attempt could help (src/chain/jsonRpc.ts decides); nothing here retries.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { KuraError } from '../errors.js';

export interface HttpReply {
  readonly status: number;
  readonly body: Buffer;
}

export interface PostOptions {
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly agent: HttpAgent | HttpsAgent;
  /** For the error details: which RPC this exchange carries. */
  readonly method: string;
}

/** A keep-alive agent for the URL's protocol; free sockets do not keep the process alive. */
export function makeAgent(url: URL, ca?: string | Uint8Array): HttpAgent | HttpsAgent {
  // Bitcoin Core serves 4 RPC threads by default (-rpcthreads); more sockets would only queue.
  const options = { keepAlive: true, maxSockets: 4 };
  return url.protocol === 'https:'
    ? new HttpsAgent({ ...options, ...(ca === undefined ? {} : { ca: Buffer.from(ca) }) })
    : new HttpAgent(options);
}

export function postOnce(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: PostOptions,
): Promise<HttpReply> {
  const { method, timeoutMs, maxResponseBytes } = options;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<HttpReply>((resolve, reject) => {
    let settled = false;
    const finish = (error: KuraError | undefined, reply?: HttpReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== undefined) {
        req.destroy();
        reject(error);
      } else if (reply !== undefined) {
        resolve(reply);
      }
    };
    const unreachable = (err: NodeJS.ErrnoException) =>
      new KuraError(
        'NODE_UNREACHABLE',
        `the node at ${url.host} cannot be reached for ${method}: ${err.message}`,
        { method, host: url.host, errno: err.code ?? null },
        err,
      );

    const req = send(
      url,
      {
        method: 'POST',
        agent: options.agent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxResponseBytes) {
          finish(oversized(method, maxResponseBytes, status));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) finish(oversized(method, maxResponseBytes, status));
          else chunks.push(chunk);
        });
        res.on('error', (err: NodeJS.ErrnoException) => finish(unreachable(err)));
        res.on('end', () => finish(undefined, { status, body: Buffer.concat(chunks, size) }));
        res.on('close', () => {
          if (!res.complete) finish(unreachable(new Error('the connection closed mid-answer')));
        });
      },
    );
    const timer = setTimeout(() => {
      finish(
        new KuraError(
          'NODE_TIMEOUT',
          `the node at ${url.host} did not answer ${method} within ${timeoutMs} ms`,
          {
            method,
            host: url.host,
            timeoutMs,
          },
        ),
      );
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish(unreachable(err)));
    req.end(body);
  });
}

function oversized(method: string, maxResponseBytes: number, httpStatus: number): KuraError {
  return new KuraError(
    'NODE_BAD_RESPONSE',
    `the node's answer to ${method} is larger than ${maxResponseBytes} bytes`,
    { method, httpStatus, maxResponseBytes, reason: 'oversized' },
  );
}
