// Coin sync as a background step of `kura coordinator serve`, with what it last saw kept for
// GET /v1/health: the node's state (ok, or the error code of the last failed attempt), the store's
// and the node's tips, and when the last sync finished. The node client and the mempool cache live
// as long as the service, so each round asks the node only for what is new.
import { isKuraError } from '../errors.js';
import type { RpcClient } from '../chain/rpcClient.js';
import type { CoordinatorHome } from './home.js';
import { nodeClientFor } from './node.js';
import { SyncCache, syncCoordinator, type SyncReport } from './sync.js';

export interface SyncHealth {
  readonly status: 'starting' | 'ok' | 'error';
  /** Unix seconds of the last sync that ended, well or not. */
  readonly lastAttemptAt: number | null;
  readonly lastSuccessAt: number | null;
  readonly nodeTip: number | null;
  readonly storeTip: number | null;
  readonly complete: boolean;
  readonly error: { readonly code: string; readonly message: string } | null;
}

export interface CoinSyncService {
  /** One round: sync to the node's tip (a failure is recorded for health, then rethrown for the log). */
  run(): Promise<SyncReport>;
  health(): SyncHealth;
  close(): void;
}

export function startCoinSync(home: CoordinatorHome, now: () => number, client?: RpcClient): CoinSyncService {
  const node = client ?? nodeClientFor(home);
  const cache = new SyncCache();
  let health: SyncHealth = {
    status: 'starting',
    lastAttemptAt: null,
    lastSuccessAt: null,
    nodeTip: null,
    storeTip: home.store.tipBlock()?.height ?? null,
    complete: false,
    error: null,
  };
  return {
    async run() {
      try {
        const report = await syncCoordinator(home, node, { cache });
        const at = now();
        health = {
          status: 'ok',
          lastAttemptAt: at,
          lastSuccessAt: at,
          nodeTip: report.nodeTip,
          storeTip: report.tip?.height ?? null,
          complete: report.complete,
          error: null,
        };
        return report;
      } catch (error) {
        health = {
          ...health,
          status: 'error',
          lastAttemptAt: now(),
          storeTip: home.store.tipBlock()?.height ?? null,
          error: isKuraError(error)
            ? { code: error.code, message: error.message }
            : { code: 'INTERNAL', message: 'coin sync failed unexpectedly' },
        };
        throw error;
      }
    },
    health: () => health,
    close: () => {
      if (client === undefined) node.close();
    },
  };
}
