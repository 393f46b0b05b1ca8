// The coordinator's HTTP API: server, routes and their roles, and the service that runs it with
// its background steps. docs/intake.md, docs/openapi.yaml.
export { startBackground, type BackgroundRunner, type BackgroundStep } from './background.js';
export { checkContentType, MAX_JSON_BODY_BYTES, parseJsonBody, readBody } from './body.js';
export { checkListen, DEFAULT_LISTEN, isLoopback, parseListen, type ListenAddress } from './listen.js';
export { errorBody, type ErrorBody } from './respond.js';
export { ANONYMOUS_ROUTES, route, ROUTE_ROLES, splitRouteKey, type RouteKey } from './roles.js';
export type { BodyOptions, HttpMethod, RouteCall, RouteDefinition, RouteResult } from './route.js';
export { type HealthProvider } from './healthRoute.js';
export {
  coordinatorRoutes,
  startCoordinatorServer,
  type CoordinatorServer,
  type CoordinatorServerOptions,
} from './server.js';
export {
  DEFAULT_BACKGROUND_INTERVAL_MS,
  requestRefreshStep,
  startCoordinatorService,
  type CoordinatorService,
  type CoordinatorServiceOptions,
} from './service.js';
