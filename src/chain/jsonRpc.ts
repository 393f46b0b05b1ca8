// JSON-RPC 1.0 over HTTP(S) as Bitcoin Core serves it (and bcoin, as the test harness runs it):
// basic auth from a cookie file or a user and password, a deadline per attempt, bounded retries
// with exponential backoff and jitter for what another attempt can fix, and every failure a
// KuraError with a stable code. docs/chain.md explains the choices.
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { KuraError } from '../errors.js';
import { readCookieFile, type RpcCredentials } from './credentials.js';
import { makeAgent, postOnce, type HttpReply } from './http.js';

/** Where the credentials come from: Core's cookie file (re-read after a failure), or fixed ones. */
export type RpcAuth =
  { readonly cookieFile: string } | { readonly username: string; readonly password: string };

export interface RetryEvent {
  readonly method: string;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  /** How long the client waits before the next attempt. */
  readonly delayMs: number;
  readonly error: KuraError;
}

export interface RpcClientOptions {
  /** `http://host:port/` (or a path such as `/wallet/x`); `https:` for a TLS proxy. No credentials in it. */
  readonly url: string;
  readonly auth: RpcAuth;
  /** Deadline for one attempt, connect to last byte. Default 30 s. */
  readonly timeoutMs?: number;
  /** Further attempts after the first, for retryable failures only. Default 5; at most 20. */
  readonly retries?: number;
  /** First backoff; doubled per attempt, with jitter. Default 250 ms. */
  readonly backoffMs?: number;
  /** Backoff cap. Default 10 s. */
  readonly maxBackoffMs?: number;
  /** Bound on an answer's body. Default 64 MiB (a 4 MB block is 8 MB of hex). */
  readonly maxResponseBytes?: number;
  /** Extra CA certificates (PEM) for an `https:` URL. */
  readonly ca?: string | Uint8Array;
  /** Called before each retry: for logs and the health status. */
  readonly onRetry?: (event: RetryEvent) => void;
  /** Jitter source in [0, 1); Math.random unless a test pins it. */
  readonly random?: () => number;
}

export interface CallOptions {
  /** Overrides the client's per-attempt deadline for this call. */
  readonly timeoutMs?: number;
  /** Overrides the client's retry count for this call. */
  readonly retries?: number;
}

/** Bitcoin Core's RPC_IN_WARMUP: the node is loading its indexes; ask again shortly. */
export const RPC_IN_WARMUP = -28;

const DEFAULTS = {
  timeoutMs: 30_000,
  retries: 5,
  backoffMs: 250,
  maxBackoffMs: 10_000,
  maxResponseBytes: 64 * 1024 * 1024,
};

function bounded(
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
  field: string,
): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new KuraError('ARGUMENT_INVALID', `"${field}" must be an integer from ${min} to ${max}`, { field });
  }
  return v;
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (err) {
    throw new KuraError('ARGUMENT_INVALID', `"rpcUrl" is not a URL: ${text}`, { field: 'rpcUrl' }, err);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KuraError('ARGUMENT_INVALID', '"rpcUrl" must start with http:// or https://', {
      field: 'rpcUrl',
    });
  }
  if (url.username !== '' || url.password !== '') {
    // URLs end up in logs, process lists and config dumps; credentials never belong in one.
    throw new KuraError(
      'ARGUMENT_INVALID',
      '"rpcUrl" must not carry credentials; use a cookie file or a user with a password file',
      { field: 'rpcUrl' },
    );
  }
  return url;
}

/** Whether another attempt can help: the node was away, slow, warming up or overloaded. */
export function isRetryable(error: KuraError): boolean {
  switch (error.code) {
    case 'NODE_UNREACHABLE':
    case 'NODE_TIMEOUT':
    case 'NODE_COOKIE_UNREADABLE':
      return true;
    case 'NODE_RPC_ERROR':
      return error.details.rpcCode === RPC_IN_WARMUP;
    case 'NODE_BAD_RESPONSE': {
      // Core answers 503 "work queue depth exceeded" as text when its RPC threads are busy.
      const status = error.details.httpStatus;
      return typeof status === 'number' && status >= 500 && error.details.reason !== 'oversized';
    }
    default:
      return false;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class JsonRpcConnection {
  readonly url: URL;
  private readonly auth: RpcAuth;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxResponseBytes: number;
  private readonly onRetry: ((event: RetryEvent) => void) | undefined;
  private readonly random: () => number;
  private readonly agent: HttpAgent | HttpsAgent;
  private cookie: RpcCredentials | undefined;
  private nextId = 0;

  constructor(options: RpcClientOptions) {
    this.url = parseUrl(options.url);
    if ('cookieFile' in options.auth) {
      if (typeof options.auth.cookieFile !== 'string' || options.auth.cookieFile === '') {
        throw new KuraError('ARGUMENT_INVALID', '"rpcCookie" must name a file', { field: 'rpcCookie' });
      }
    } else if (typeof options.auth.username !== 'string' || typeof options.auth.password !== 'string') {
      throw new KuraError('ARGUMENT_INVALID', '"rpcUser" and the RPC password must be strings', {
        field: 'rpcUser',
      });
    }
    this.auth = options.auth;
    this.timeoutMs = bounded(options.timeoutMs, DEFAULTS.timeoutMs, 1, 3_600_000, 'timeoutMs');
    this.retries = bounded(options.retries, DEFAULTS.retries, 0, 20, 'retries');
    this.backoffMs = bounded(options.backoffMs, DEFAULTS.backoffMs, 0, 60_000, 'backoffMs');
    this.maxBackoffMs = bounded(options.maxBackoffMs, DEFAULTS.maxBackoffMs, 0, 600_000, 'maxBackoffMs');
    this.maxResponseBytes = bounded(
      options.maxResponseBytes,
      DEFAULTS.maxResponseBytes,
      1024,
      1024 * 1024 * 1024,
      'maxResponseBytes',
    );
    this.onRetry = options.onRetry;
    this.random = options.random ?? Math.random;
    this.agent = makeAgent(this.url, options.ca);
  }

  /** Calls `method` and returns its `result`, unvalidated; the typed wrappers check its shape. */
  async call(method: string, params: readonly unknown[] = [], options: CallOptions = {}): Promise<unknown> {
    const retries = bounded(options.retries, this.retries, 0, 20, 'retries');
    const timeoutMs = bounded(options.timeoutMs, this.timeoutMs, 1, 3_600_000, 'timeoutMs');
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(method, params, timeoutMs);
      } catch (err) {
        const error =
          err instanceof KuraError
            ? err
            : new KuraError('INTERNAL', `RPC ${method}: ${String(err)}`, {}, err);
        let retry = isRetryable(error);
        // After a connection failure the node may have restarted with a new cookie: read it again.
        if (retry) this.cookie = undefined;
        else if (error.code === 'NODE_AUTH_FAILED') retry = this.cookieWasReplaced();
        if (!retry || attempt > retries) {
          throw new KuraError(
            error.code,
            error.message,
            { ...error.details, attempts: attempt },
            error.cause ?? err,
          );
        }
        // Exponential backoff with "equal jitter": half fixed, half random, so that several
        // clients restarted together do not knock in step, and every wait is at least half its step.
        const step = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
        const delayMs = Math.round(step / 2 + (step / 2) * this.random());
        this.onRetry?.({ method, attempt, delayMs, error });
        await sleep(delayMs);
      }
    }
  }

  /** Frees the keep-alive sockets. The client can still be used afterwards (it reconnects). */
  close(): void {
    this.agent.destroy();
  }

  private credentials(): RpcCredentials {
    if ('cookieFile' in this.auth) {
      this.cookie ??= readCookieFile(this.auth.cookieFile);
      return this.cookie;
    }
    return this.auth;
  }

  /** A 401 with cookie auth is retried when the cookie file now holds another secret than the one sent. */
  private cookieWasReplaced(): boolean {
    if (!('cookieFile' in this.auth) || this.cookie === undefined) return false;
    const sent = this.cookie;
    this.cookie = undefined;
    try {
      const now = this.credentials();
      return now.username !== sent.username || now.password !== sent.password;
    } catch {
      return true; // the file is gone: the node is restarting; the next attempt says so
    }
  }

  private async attempt(method: string, params: readonly unknown[], timeoutMs: number): Promise<unknown> {
    const { username, password } = this.credentials();
    const id = ++this.nextId;
    const body = JSON.stringify({ jsonrpc: '1.0', id, method, params });
    const reply = await postOnce(
      this.url,
      body,
      {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`,
      },
      { method, timeoutMs, maxResponseBytes: this.maxResponseBytes, agent: this.agent },
    );
    return this.interpret(method, id, reply);
  }

  private interpret(method: string, id: number, reply: HttpReply): unknown {
    const { status } = reply;
    if (status === 401 || status === 403) {
      throw new KuraError('NODE_AUTH_FAILED', `the node refused the RPC credentials (HTTP ${status})`, {
        method,
        httpStatus: status,
      });
    }
    const bad = (reason: string) =>
      new KuraError(
        'NODE_BAD_RESPONSE',
        `the node's answer to ${method} is not a JSON-RPC reply: ${reason}`,
        {
          method,
          httpStatus: status,
          reason,
        },
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(reply.body.toString('utf8'));
    } catch {
      throw bad(`HTTP ${status}, not JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad('not an object');
    const answer = parsed as Record<string, unknown>;
    const error = answer.error;
    if (error !== undefined && error !== null) {
      if (typeof error !== 'object' || Array.isArray(error)) throw bad('"error" is not an object');
      const { code, message } = error as Record<string, unknown>;
      if (!Number.isSafeInteger(code)) throw bad('"error.code" is not an integer');
      // A parse error on the node's side comes back with id null; any other id must be ours.
      if (answer.id !== id && answer.id !== null) throw bad('the reply is for another request id');
      const text = typeof message === 'string' ? message.slice(0, 500) : '(no message)';
      throw new KuraError(
        'NODE_RPC_ERROR',
        `the node refused ${method}: ${text} (RPC error ${String(code)})`,
        {
          method,
          rpcCode: code,
          rpcMessage: text,
        },
      );
    }
    if (answer.id !== id) throw bad('the reply is for another request id');
    if (!('result' in answer)) throw bad('no "result"');
    if (status !== 200) throw bad(`HTTP ${status} with a result`);
    return answer.result;
  }
}
