// Finding the route for a method and path. Paths are matched segment by segment: a literal must
// be equal, a {name} takes one non-empty segment, percent-decoded. No prefixes, no trailing
// slashes, no globbing: a path either names a route exactly or is HTTP_ROUTE_NOT_FOUND.
import { KuraError } from '../../errors.js';
import type { RouteDefinition } from './route.js';

/** Longer paths are not ours; refusing them early bounds the work a caller can ask for. */
const MAX_PATH_LENGTH = 2048;

type Segment = { readonly literal: string } | { readonly param: string };

export interface Match {
  readonly route: RouteDefinition;
  readonly params: Readonly<Record<string, string>>;
}

export class Router {
  private readonly compiled: { readonly route: RouteDefinition; readonly segments: readonly Segment[] }[] =
    [];

  constructor(routes: readonly RouteDefinition[]) {
    for (const route of routes) this.add(route);
  }

  private add(route: RouteDefinition): void {
    if (!route.path.startsWith('/'))
      throw new KuraError('INTERNAL', `route path ${route.path} must start with /`);
    const segments: Segment[] = route.path
      .slice(1)
      .split('/')
      .map((s) => {
        const param = /^\{([A-Za-z][A-Za-z0-9]*)\}$/.exec(s)?.[1];
        return param === undefined ? { literal: s } : { param };
      });
    const duplicate = this.compiled.find(
      (c) => c.route.method === route.method && c.route.path === route.path,
    );
    if (duplicate !== undefined) {
      throw new KuraError('INTERNAL', `route ${route.method} ${route.path} is registered twice`);
    }
    this.compiled.push({ route, segments });
  }

  /** The routes, for documentation and tests. */
  routes(): RouteDefinition[] {
    return this.compiled.map((c) => c.route);
  }

  /**
   * The route for `method` and `pathname` (without the query). A path no route has is
   * HTTP_ROUTE_NOT_FOUND; a path that exists for other methods is HTTP_METHOD_NOT_ALLOWED, with
   * details.allow listing them (the server sends them as the Allow header).
   */
  find(method: string, pathname: string): Match {
    if (pathname.length > MAX_PATH_LENGTH || !pathname.startsWith('/')) {
      throw new KuraError('HTTP_ROUTE_NOT_FOUND', 'no API route has this path', { field: 'path' });
    }
    const parts = pathname.slice(1).split('/');
    const allow: string[] = [];
    for (const { route, segments } of this.compiled) {
      const params = matchSegments(segments, parts);
      if (params === undefined) continue;
      if (route.method === method) return { route, params };
      allow.push(route.method);
    }
    if (allow.length > 0) {
      throw new KuraError('HTTP_METHOD_NOT_ALLOWED', `this path takes ${allow.join(', ')}, not ${method}`, {
        field: 'method',
        allow,
      });
    }
    throw new KuraError(
      'HTTP_ROUTE_NOT_FOUND',
      `no API route has the path ${JSON.stringify(pathname.slice(0, 200))}`,
      {
        field: 'path',
      },
    );
  }
}

function matchSegments(
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const part = parts[i];
    if (segment === undefined || part === undefined) return undefined;
    if ('literal' in segment) {
      if (segment.literal !== part) return undefined;
      continue;
    }
    if (part === '') return undefined;
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch (cause) {
      throw new KuraError(
        'HTTP_REQUEST_MALFORMED',
        `path segment "${segment.param}" is not valid percent-encoding`,
        {
          field: segment.param,
        },
        cause,
      );
    }
    params[segment.param] = decoded;
  }
  return params;
}

/** Splits a request target into its path and query; only origin-form targets ("/…") are ours. */
export function splitTarget(target: string | undefined): { pathname: string; query: URLSearchParams } {
  if (target === undefined || !target.startsWith('/') || target.length > MAX_PATH_LENGTH * 2) {
    throw new KuraError('HTTP_REQUEST_MALFORMED', 'the request target must be a path starting with "/"', {
      field: 'path',
    });
  }
  const at = target.indexOf('?');
  const pathname = at === -1 ? target : target.slice(0, at);
  const search = at === -1 ? '' : target.slice(at + 1);
  return { pathname, query: new URLSearchParams(search) };
}
