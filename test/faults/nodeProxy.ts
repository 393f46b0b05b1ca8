// A fault-injecting HTTP proxy between the coordinator and the real regtest node, on loopback, for
// test/faults/node.test.ts. Every JSON-RPC call passes through it; a rule decides, call by call,
// whether it is forwarded or meets a fault: the node down (connections refused), a reset
// connection, no answer at all, an HTTP error, a body that is not JSON, a reply for another
// request id, or a slow answer. The proxy counts every call it sees, by RPC method, so a test can
// prove how often the client retried. It never invents an answer of its own: what passes is the
// node's, byte for byte (or with only the id changed, for the wrong-id fault).
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxyMode =
  /** Forward to the node and back. */
  | 'pass'
  /** Drop this connection and stop listening: from now on connections are refused (up() heals). */
  | 'down'
  /** Drop the connection without an answer (ECONNRESET, "socket hang up"). */
  | 'reset'
  /** Read the call and never answer (the client's deadline ends it). */
  | 'hang'
  /** HTTP 500 with a text body, as Core's "work queue depth exceeded" (503) or a broken proxy. */
  | 'error500'
  /** HTTP 200 with bytes that are not JSON. */
  | 'garbage'
  /** Forward, then answer with another request id than the one asked. */
  | 'wrongId'
  /** Forward after SLOW_MS. */
  | 'slow';

/** The delay of 'slow': well under the tests' client deadline. */
export const SLOW_MS = 60;

export interface ProxiedCall {
  readonly method: string;
  /** The JSON-RPC params, as sent. */
  readonly params: readonly unknown[];
  /** How many calls of this method came before this one (since the last resetCounts). */
  readonly nth: number;
}

export interface FaultProxy {
  /** The proxy's JSON-RPC URL: what the coordinator's config names instead of the node's. */
  readonly url: string;
  /** Decides each call's fate. */
  rule: (call: ProxiedCall) => ProxyMode;
  /** Every call seen since the last resetCounts, in order, with the mode it met. */
  readonly calls: readonly (ProxiedCall & { readonly mode: ProxyMode })[];
  count(method?: string): number;
  resetCounts(): void;
  /** Listens again on the same port after 'down'. */
  up(): Promise<void>;
  close(): Promise<void>;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = request(
      target,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/json',
          'content-length': String(body.length),
          ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
        },
      },
      (res) => {
        readAll(res).then((b) => resolve({ status: res.statusCode ?? 502, body: b }), reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Starts a proxy to the node at `nodeUrl` that passes every call until a test sets its rule. */
export async function startFaultProxy(nodeUrl: string): Promise<FaultProxy> {
  const target = new URL(nodeUrl);
  const calls: (ProxiedCall & { mode: ProxyMode })[] = [];
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readAll(req);
    let method = '(not JSON-RPC)';
    let params: unknown[] = [];
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { method?: unknown; params?: unknown };
      if (typeof parsed.method === 'string') method = parsed.method;
      if (Array.isArray(parsed.params)) params = parsed.params;
    } catch {
      // counted under its placeholder name
    }
    const call = { method, params, nth: calls.filter((c) => c.method === method).length };
    const mode = proxy.rule(call);
    calls.push({ ...call, mode });
    switch (mode) {
      case 'down':
        req.socket.destroy();
        server.close();
        server.closeAllConnections();
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        return; // the socket stays open until the client gives up
      case 'error500':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Work queue depth exceeded');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('\u0000{"result": garb');
        return;
      default:
        break;
    }
    if (mode === 'slow') await sleep(SLOW_MS);
    const answer = await forward(target, req, body);
    let reply = answer.body;
    if (mode === 'wrongId') {
      const parsed = JSON.parse(reply.toString('utf8')) as { id?: unknown };
      reply = Buffer.from(JSON.stringify({ ...parsed, id: 1_000_000 + Number(parsed.id ?? 0) }));
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(reply);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const port = await listen(server, 0);

  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${port}/`,
    rule: () => 'pass',
    calls,
    count: (method) =>
      method === undefined ? calls.length : calls.filter((c) => c.method === method).length,
    resetCounts: () => void calls.splice(0),
    up: async () => {
      if (!server.listening) await listen(server, port);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        if (server.listening) server.close(() => resolve());
        else resolve();
      }),
  };
  return proxy;
}
