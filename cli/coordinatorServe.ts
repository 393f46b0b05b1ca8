// `kura coordinator serve`: runs the HTTP API of a coordinator home until SIGINT or SIGTERM, with
// its background steps (request refresh, then coin sync from the node). The server and the steps
// live in src/coordinator; this file parses flags, prints and waits for a signal.
import type { Command } from 'commander';
import { openCoordinatorHome } from '../src/coordinator/home.js';
import {
  checkListen,
  DEFAULT_LISTEN,
  isLoopback,
  parseListen,
  startCoordinatorService,
  type BackgroundStep,
} from '../src/coordinator/http/index.js';
import { systemNow } from '../src/coordinator/intake/index.js';
import { startCoinSync } from '../src/coordinator/syncService.js';
import { emit, progress, type CliContext } from './context.js';
import { homeOption, listenOption } from './defaults.js';

/** Resolves with the name of the first SIGINT or SIGTERM, and stops listening for both. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(signal);
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

export function registerCoordinatorServe(coordinator: Command, ctx: CliContext): void {
  coordinator
    .command('serve')
    .description('run the HTTP API (docs/openapi.yaml) until SIGINT or SIGTERM')
    .addOption(homeOption('coordinator'))
    .addOption(listenOption('address to listen on (loopback unless --allow-remote)', DEFAULT_LISTEN))
    .option(
      '--allow-remote',
      'listen on a non-loopback address: the API has no TLS of its own, so put a TLS proxy in front',
    )
    .option('--json', 'print the URL as JSON once listening')
    .addHelpText(
      'after',
      '\nExample:\n  kura coordinator serve --home ./coordinator --listen 127.0.0.1:8080\n' +
        '  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/v1/health',
    )
    .action(async (flags: { home: string; listen: string; allowRemote?: boolean; json?: boolean }) => {
      const listen = checkListen(parseListen(flags.listen), flags.allowRemote ?? false);
      if (!isLoopback(listen.host)) {
        ctx.interaction.warn(
          `listening on ${listen.host}, which is not loopback: bearer tokens cross the network in the clear unless a TLS proxy is in front.`,
        );
      }
      const home = openCoordinatorHome(flags.home);
      try {
        const coins = startCoinSync(home, systemNow);
        const background: BackgroundStep[] = [
          { name: 'coin sync', run: async () => void (await coins.run()) },
        ];
        const service = await startCoordinatorService({
          home,
          listen,
          background,
          health: () => coins.health(),
          log: (line) => ctx.err(`${line}\n`),
        });
        const signal = untilSignal();
        emit(ctx, flags.json ?? false, { url: service.url, home: home.paths.home }, () => [
          `kura coordinator listening on ${service.url} (home ${home.paths.home}); stop with Ctrl-C.`,
        ]);
        const received = await signal;
        await service.close();
        coins.close();
        progress(ctx, `coordinator stopped (${received}).`);
      } finally {
        home.close();
      }
    });
}
