// `kura coordinator sync`: follow the Bitcoin node once — new blocks, reorgs, the mempool and batch
// confirmations — and print what changed and the balance. The work is src/coordinator/sync.ts.
import type { Command } from 'commander';
import { formatBtc } from '../src/approvals/approval.js';
import { openCoordinatorHome } from '../src/coordinator/home.js';
import { nodeClientFor } from '../src/coordinator/node.js';
import { syncCoordinator, type SyncProgress, type SyncReport } from '../src/coordinator/sync.js';
import { detail, emit, integerOption, progress, type CliContext } from './context.js';
import { homeOption } from './defaults.js';

// A progress line every this many blocks (not seconds, so the output does not depend on the
// machine): a sync of a few blocks prints none, a first scan of months of blocks shows it is moving.
const PROGRESS_EVERY_BLOCKS = 1000;
const MAX_BLOCKS_FLAG = 100_000_000;

interface SyncFlags {
  home: string;
  maxBlocks?: number;
  json?: boolean;
}

const sats = (value: bigint): string => `${value} sats (${formatBtc(value)} BTC)`;

function progressPrinter(ctx: CliContext): (p: SyncProgress) => void {
  let blocks = 0;
  return (p) => {
    if (++blocks % PROGRESS_EVERY_BLOCKS === 0) {
      progress(ctx, `${p.phase === 'scan' ? 'scanned' : 'rescanned'} block ${p.height} of ${p.tip}`);
    }
  };
}

function mempoolLine(m: SyncReport['mempool']): string {
  if (!m.scanned) return 'not read (the scan did not reach the tip)';
  const touched = `${m.walletTransactions} of ${m.transactions} transactions touch the wallet`;
  return `${touched}; ${m.coinsDropped} coins dropped, ${m.spendsCleared} spends cleared (left the mempool)`;
}

function humanReport(r: SyncReport): string[] {
  const where =
    r.tip === null
      ? 'no block yet (the node is below the birthday height)'
      : `block ${r.tip.height} ${r.tip.hash}`;
  const batches = [
    ...r.batches.confirmed.map((id) => `${id} confirmed`),
    ...r.batches.unconfirmed.map((id) => `${id} back to broadcast (reorg)`),
  ];
  return [
    r.complete
      ? `Synced to ${where}.`
      : `Stopped at ${where}; the node is at ${r.nodeTip}. Run kura coordinator sync again to continue.`,
    `  blocks         ${r.blocksScanned} new, ${r.reorgs} reorgs, ${r.rescans} rescans (${r.blocksRescanned} old)`,
    `  coins          ${r.coinsFound} found, ${r.coinsSpent} spent`,
    `  mempool        ${mempoolLine(r.mempool)}`,
    `  batches        ${batches.length === 0 ? 'no change' : batches.join(', ')}`,
    'balance',
    `  confirmed      ${sats(r.balance.confirmedSat)}`,
    `  unconfirmed    ${sats(r.balance.unconfirmedSat)}`,
    `  locked         ${sats(r.balance.lockedSat)}`,
    `  total          ${sats(r.balance.totalSat)}`,
  ];
}

export function registerCoordinatorSync(coordinator: Command, ctx: CliContext): void {
  coordinator
    .command('sync')
    .description(
      'follow the node once: new blocks, reorgs, the mempool and batch confirmations; print the balance',
    )
    .addOption(homeOption('coordinator'))
    .option(
      '--max-blocks <n>',
      'scan at most this many new blocks, then stop (run again to continue)',
      integerOption('max-blocks', 1, MAX_BLOCKS_FLAG),
    )
    .option('--json', 'print the report as JSON (amounts as strings of sats)')
    .addHelpText('after', '\nExample:\n  kura coordinator sync --home ./coordinator --json')
    .action(async (flags: SyncFlags) => {
      const json = flags.json ?? false;
      const home = openCoordinatorHome(flags.home);
      try {
        const client = nodeClientFor(home, {
          onRetry: (e) => detail(ctx, `${e.method}: ${e.error.code}; trying again in ${e.delayMs} ms`),
        });
        try {
          const report = await syncCoordinator(home, client, {
            ...(flags.maxBlocks === undefined ? {} : { maxBlocks: flags.maxBlocks }),
            onProgress: progressPrinter(ctx),
          });
          emit(ctx, json, report, () => humanReport(report));
        } finally {
          client.close();
        }
      } finally {
        home.close();
      }
    });
}
