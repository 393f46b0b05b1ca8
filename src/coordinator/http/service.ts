// The running coordinator service: the HTTP API plus its background steps, started and stopped
// together. refreshRequests always runs; `background` is where other steps plug in (coin sync).
import type { CoordinatorHome } from '../home.js';
import { refreshRequests, systemNow } from '../intake/index.js';
import { startBackground, type BackgroundStep } from './background.js';
import { startCoordinatorServer, type CoordinatorServerOptions } from './server.js';

/** Delays end and requests expire on the second; a few seconds late is what a client notices. */
export const DEFAULT_BACKGROUND_INTERVAL_MS = 5_000;

export interface CoordinatorServiceOptions extends CoordinatorServerOptions {
  /** Steps run every round after refreshRequests, in order (coin sync plugs in here). */
  readonly background?: readonly BackgroundStep[];
  readonly intervalMs?: number;
}

export interface CoordinatorService {
  readonly url: string;
  close(): Promise<void>;
}

export function requestRefreshStep(home: CoordinatorHome, now: () => number): BackgroundStep {
  return { name: 'refresh requests', run: () => void refreshRequests(home, now()) };
}

export async function startCoordinatorService(
  options: CoordinatorServiceOptions,
): Promise<CoordinatorService> {
  const now = options.now ?? systemNow;
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const server = await startCoordinatorServer({ ...options, now, log });
  const runner = startBackground([requestRefreshStep(options.home, now), ...(options.background ?? [])], {
    intervalMs: options.intervalMs ?? DEFAULT_BACKGROUND_INTERVAL_MS,
    onError: (step, error) =>
      log(
        `kura: background step "${step.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
  });
  return {
    url: server.url,
    close: async () => {
      await runner.stop();
      await server.close();
    },
  };
}
