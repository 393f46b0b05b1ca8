// What an API route is: a method and a path, the roles that may call it, and a handler that
// gets the parsed call and returns a result. Adding a route is one entry in a list of these
// (routes.ts, or the `routes` option of startCoordinatorServer for modules that plug in later).
import type { CoordinatorHome } from '../home.js';
import type { TokenRole } from '../store/index.js';
import type { Authenticated } from '../tokens.js';

export type HttpMethod = 'GET' | 'POST';

export interface BodyOptions {
  /** Media types accepted, lowercase, without parameters: "application/octet-stream", … */
  readonly contentTypes: readonly string[];
  readonly maxBytes: number;
}

export interface RouteCall {
  readonly home: CoordinatorHome;
  /** Unix seconds, from the server's clock, fixed for the whole call. */
  readonly now: number;
  /** The caller's token; null only on a route that allows anonymous calls and got no token. */
  readonly auth: Authenticated | null;
  /** Path parameters by name: "/v1/withdrawals/{id}" gives params.id (percent-decoded). */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** A request header (name in any case), or undefined. */
  header(name: string): string | undefined;
  /** The body as JSON: Content-Type application/json (UTF-8), at most the server's JSON bound. */
  json(): Promise<unknown>;
  /** The raw body, for routes that take files such as PSBTs. */
  bytes(options: BodyOptions): Promise<Buffer>;
}

export type RouteResult =
  | { readonly status: number; readonly json: unknown; readonly headers?: Readonly<Record<string, string>> }
  | {
      readonly status: number;
      readonly body: Uint8Array | string;
      readonly contentType: string;
      readonly headers?: Readonly<Record<string, string>>;
    };

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** Literal segments and {name} parameters: "/v1/withdrawals/{id}/approvals". */
  readonly path: string;
  /** Roles whose tokens may call the route; every other role is TOKEN_ROLE_FORBIDDEN. */
  readonly roles: readonly TokenRole[];
  /** When true, a call without any Authorization header is let through with auth null. */
  readonly anonymous?: boolean;
  /**
   * When true, the handler confirms the caller's token inside its own write transaction
   * (tokens.ts, confirmToken) before it changes anything, so the server may let a token it has
   * seen valid through without reading the store (KnownTokens).
   */
  readonly confirmsToken?: boolean;
  handle(call: RouteCall): RouteResult | Promise<RouteResult>;
}
