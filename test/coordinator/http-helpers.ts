// Calling the coordinator's HTTP API in tests: a running server on a fresh home, one token per
// role, and small helpers around fetch and raw sockets.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { startCoordinatorServer, type CoordinatorServerOptions } from '../../src/coordinator/http/index.js';
import { TOKEN_ROLES, type TokenRole } from '../../src/coordinator/store/index.js';
import { createToken } from '../../src/coordinator/tokens.js';
import { makeIntakeHome, type IntakeHome } from './intake-fixture.js';

export interface ApiFixture extends IntakeHome {
  readonly url: string;
  /** A bearer token per role, and the token ids (the client ids of their requests). */
  readonly tokens: Record<TokenRole, string>;
  readonly tokenIds: Record<TokenRole, string>;
  stop(): Promise<void>;
}

export async function startApi(
  options: Partial<Omit<CoordinatorServerOptions, 'home' | 'listen'>> = {},
  policyOverrides: Record<string, unknown> = {},
): Promise<ApiFixture> {
  const h = makeIntakeHome(policyOverrides);
  const tokens = {} as Record<TokenRole, string>;
  const tokenIds = {} as Record<TokenRole, string>;
  for (const role of TOKEN_ROLES) {
    const made = createToken(h.home.store, role, `test ${role}`);
    tokens[role] = made.token;
    tokenIds[role] = made.tokenId;
  }
  const logged: string[] = [];
  const server = await startCoordinatorServer({
    home: h.home,
    listen: { host: '127.0.0.1', port: 0 },
    now: () => h.clock.now,
    log: (line) => void logged.push(line),
    ...options,
  });
  return {
    ...h,
    url: server.url,
    tokens,
    tokenIds,
    stop: async () => {
      await server.close();
      h.close();
      // An INTERNAL error is a bug even when the caller got a tidy 500.
      if (logged.length > 0) throw new Error(`the server logged:\n${logged.join('\n')}`);
    },
  };
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly bytes: Uint8Array;
  json<T = Record<string, unknown>>(): T;
  /** The error code of a JSON error body. */
  readonly code: string | undefined;
}

export interface CallOptions {
  readonly token?: string;
  /** A JS value is sent as JSON with Content-Type application/json; a string or bytes as they are. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export async function call(
  api: { url: string },
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array | undefined;
  if (options.body !== undefined) {
    if (typeof options.body === 'string' || options.body instanceof Uint8Array) body = options.body;
    else {
      body = JSON.stringify(options.body);
      headers['Content-Type'] = 'application/json';
    }
  }
  Object.assign(headers, options.headers);
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = Buffer.from(bytes).toString('utf8');
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return {
    status: response.status,
    headers: response.headers,
    text,
    bytes,
    code,
    json: <T>() => JSON.parse(text) as T,
  };
}

/** Sends a request whose body arrives in chunks without a Content-Length (chunked encoding). */
export function chunkedPost(
  url: string,
  path: string,
  headers: Record<string, string>,
  chunks: readonly Buffer[],
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    // The server may answer and close before every chunk is written; the answer is what counts.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/** Writes raw bytes to the server and returns everything it answers before closing. */
export function rawExchange(url: string, payload: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(payload));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}
