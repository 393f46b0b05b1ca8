// The coordinator's HTTP API on node:http. Each call: find the route (404/405), authenticate the
// bearer token and check its role against the route's (401/403), then run the handler, which
// reads a bounded body only if it needs one. Every refusal is a typed JSON error (respond.ts) and
// happens before the handler changes anything. docs/intake.md, docs/openapi.yaml.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KuraError } from '../../errors.js';
import type { CoordinatorHome } from '../home.js';
import { systemNow, WithdrawalSubmissions } from '../intake/index.js';
import { authenticate, authorize, KnownTokens, type Authenticated } from '../tokens.js';
import { batchRoutes } from './batchRoutes.js';
import { MAX_JSON_BODY_BYTES, parseJsonBody, readBody } from './body.js';
import { healthRoute, type HealthProvider } from './healthRoute.js';
import { intakeRoutes } from './intakeRoutes.js';
import { asKuraError, malformedRequestResponse, sendError, sendResult } from './respond.js';
import type { RouteCall, RouteDefinition } from './route.js';
import { Router, splitTarget } from './router.js';

/** Headers past 16 KiB are not a client of ours (a bearer token is 55 characters). */
const MAX_HEADER_BYTES = 16 * 1024;
/** A call that takes longer than this to arrive is dropped (slow-loris). */
const REQUEST_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 10_000;

export interface CoordinatorServerOptions {
  readonly home: CoordinatorHome;
  /** Port 0 picks a free port (tests); the returned url names the real one. */
  readonly listen: { readonly host: string; readonly port: number };
  /** The clock, unix seconds (tests pass a fixed one). */
  readonly now?: () => number;
  /** Node and sync state for GET /v1/health. */
  readonly health?: HealthProvider;
  /** Routes of other modules (the batch module's signature import), each one entry. */
  readonly routes?: readonly RouteDefinition[];
  /** Where internal errors are logged with their stack (never sent to a client). */
  readonly log?: (line: string) => void;
}

export interface CoordinatorServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Every route the server answers: the built-in ones and those plugged in. */
export function coordinatorRoutes(
  options: Pick<CoordinatorServerOptions, 'home' | 'health' | 'routes'>,
): RouteDefinition[] {
  return [
    healthRoute(options.health),
    ...intakeRoutes(new WithdrawalSubmissions(options.home)),
    ...batchRoutes(),
    ...(options.routes ?? []),
  ];
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

interface Caller {
  readonly auth: Authenticated | null;
  /** True when the token was taken from KnownTokens, without reading the store. */
  readonly recalled: boolean;
}

function authFor(
  route: RouteDefinition,
  home: CoordinatorHome,
  header: string | undefined,
  known: KnownTokens,
): Caller {
  if (route.anonymous === true && (header === undefined || header.trim() === '')) {
    return { auth: null, recalled: false };
  }
  const recalled = route.confirmsToken === true ? known.recall(header) : undefined;
  const auth = recalled ?? authenticate(home.store, header);
  if (recalled === undefined && route.confirmsToken === true) known.remember(auth);
  authorize(auth, route.roles);
  return { auth, recalled: recalled !== undefined };
}

/**
 * The error to answer with. A call whose token was recalled and that failed before its handler
 * confirmed the token (a bad body, say) has its token read now: a token revoked meanwhile is
 * refused as such, before anything about the call, as on every other route.
 */
function answerFor(
  error: unknown,
  caller: Caller,
  home: CoordinatorHome,
  header: string | undefined,
): unknown {
  if (!caller.recalled || refusesToken(error)) return error;
  try {
    authenticate(home.store, header);
  } catch (tokenError) {
    return refusesToken(tokenError) ? tokenError : error;
  }
  return error;
}

/** A refusal of the token itself: the server forgets it, and authenticates its next call afresh. */
function refusesToken(error: unknown): boolean {
  return error instanceof KuraError && (error.code === 'TOKEN_REVOKED' || error.code === 'TOKEN_INVALID');
}

export async function startCoordinatorServer(options: CoordinatorServerOptions): Promise<CoordinatorServer> {
  const { home } = options;
  const clock = options.now ?? systemNow;
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const router = new Router(coordinatorRoutes(options));
  const known = new KnownTokens();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Whether the request's body was read to its end: if not, the connection is closed after the
    // answer instead of reading (and discarding) whatever the client still sends.
    let bodyRead = false;
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const authorization = headerOf(req, 'authorization');
    let caller: Caller = { auth: null, recalled: false };
    try {
      const { pathname, query } = splitTarget(req.url);
      const { route, params } = router.find(req.method ?? '', pathname);
      caller = authFor(route, home, authorization, known);
      const { auth } = caller;
      const call: RouteCall = {
        home,
        now: clock(),
        auth,
        params,
        query,
        header: (name) => headerOf(req, name),
        json: async () => {
          const bytes = await readBody(req, {
            contentTypes: ['application/json'],
            maxBytes: MAX_JSON_BODY_BYTES,
          });
          bodyRead = true;
          return parseJsonBody(bytes);
        },
        bytes: async (bodyOptions) => {
          const bytes = await readBody(req, bodyOptions);
          bodyRead = true;
          return bytes;
        },
      };
      const result = await route.handle(call);
      sendResult(res, result);
    } catch (thrown) {
      const error = answerFor(thrown, caller, home, authorization);
      if (caller.auth !== null && refusesToken(error)) known.forget(caller.auth);
      sendError(res, asKuraError(error, log), hasBody && !bodyRead);
    }
  };

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`kura: INTERNAL: the response could not be sent: ${String(error)}`);
      res.destroy();
    });
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  // A request node's own parser refuses (bad request line, oversized headers) still gets a typed
  // JSON answer; a connection that timed out or reset is simply dropped.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET' || error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.destroy();
      return;
    }
    const message =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? `the request headers are larger than ${MAX_HEADER_BYTES} bytes`
        : 'the HTTP request does not parse';
    socket.end(malformedRequestResponse(message));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new KuraError(
          'ARGUMENT_INVALID',
          `cannot listen on ${options.listen.host}:${options.listen.port} (${error.code ?? error.message})`,
          { field: 'listen' },
          error,
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
