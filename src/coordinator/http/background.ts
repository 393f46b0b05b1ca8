// Work the serve command does between calls: refreshing requests (delays that ended, requests
// that expired) and, once the integrator plugs it in, syncing coins from the node. Steps run one
// after another; the next round starts `intervalMs` after the last one ended, so a slow step
// never piles rounds on top of each other. A failing step is logged and retried next round.
export interface BackgroundStep {
  readonly name: string;
  run(): void | Promise<void>;
}

export interface BackgroundRunner {
  /** Stops scheduling and waits for a round in progress to end. */
  stop(): Promise<void>;
}

export function startBackground(
  steps: readonly BackgroundStep[],
  options: { readonly intervalMs: number; readonly onError: (step: BackgroundStep, error: unknown) => void },
): BackgroundRunner {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();

  const runRound = async (): Promise<void> => {
    for (const step of steps) {
      if (stopped) return;
      try {
        await step.run();
      } catch (error) {
        options.onError(step, error);
      }
    }
  };
  const schedule = (delayMs: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      round = runRound().finally(() => schedule(options.intervalMs));
    }, delayMs);
  };
  schedule(0);
  return {
    stop: async () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await round;
    },
  };
}
