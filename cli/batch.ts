// `kura batch build|list|show|cancel|import|broadcast|follow|bump`: the coordinator's batches.
// The work is src/coordinator/batch; this file parses, reads files, prints.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatBtc } from '../src/approvals/approval.js';
import { readPsbtBytes } from '../src/artifacts/psbtFile.js';
import { KuraError } from '../src/errors.js';
import type { RpcClient } from '../src/chain/rpcClient.js';
import { openCoordinatorHome, type CoordinatorHome } from '../src/coordinator/home.js';
import { nodeClientFor } from '../src/coordinator/node.js';
import { BATCH_STATES, type BatchState } from '../src/coordinator/store/index.js';
import {
  broadcastBatch,
  buildBatchesWithReport,
  bumpBatch,
  cancelBatch,
  describeSkip,
  followBatches,
  importSignedPsbts,
  listBatchSummaries,
  showBatch,
  batchPsbt,
  type BuiltBatch,
} from '../src/coordinator/batch/index.js';
import { writeStoredBatch } from '../src/coordinator/batch/build.js';
import { MAX_FEE_RATE_CAP_SAT_VB } from '../src/policy/index.js';
import { detail, emit, integerOption, InvalidOption, type CliContext } from './context.js';
import { homeOption } from './defaults.js';

const sats = (value: bigint): string => `${value} sats (${formatBtc(value)} BTC)`;
const feeRateOption = (name: string) => integerOption(name, 1, MAX_FEE_RATE_CAP_SAT_VB);

function withHome<R>(home: string, fn: (opened: CoordinatorHome) => R): R {
  const opened = openCoordinatorHome(home);
  try {
    return fn(opened);
  } finally {
    opened.close();
  }
}

async function withNode<R>(
  home: string,
  ctx: CliContext,
  fn: (opened: CoordinatorHome, client: RpcClient) => Promise<R>,
): Promise<R> {
  const opened = openCoordinatorHome(home);
  try {
    const client = nodeClientFor(opened, {
      onRetry: (e) => detail(ctx, `${e.method}: ${e.error.code}; trying again in ${e.delayMs} ms`),
    });
    try {
      return await fn(opened, client);
    } finally {
      client.close();
    }
  } finally {
    opened.close();
  }
}

function batchLines(b: BuiltBatch): string[] {
  return [
    `Batch ${b.batchId}${b.replaces === undefined ? '' : ` (fee bump of ${b.replaces})`} → ${b.path}`,
    `  transaction    ${b.txid}`,
    ...b.payments.map(
      (p) =>
        `  pays           ${sats(p.amountSat)} to ${p.destination} (request ${p.requestId.slice(0, 16)}…)`,
    ),
    ...b.inputs.map((i) => `  spends         ${i.outpoint} ${sats(i.valueSat)}`),
    b.change === null
      ? '  change         none (the remainder was too small to be worth an output)'
      : `  change         ${sats(b.change.valueSat)} to ${b.change.address} (1/${b.change.index})`,
    `  fee            ${sats(b.feeSat)} at ${b.feeRateSatVb} sat/vB (${b.feeRateSource}), up to ${b.vsize} vB`,
  ];
}

function parseState(value: string): BatchState {
  if (!(BATCH_STATES as readonly string[]).includes(value)) {
    throw new InvalidOption(`--state must be one of ${BATCH_STATES.join(', ')}`);
  }
  return value as BatchState;
}

export function registerBatch(program: Command, ctx: CliContext): void {
  const batch = program
    .command('batch')
    .description('batches: build signing packages, import signatures, broadcast, follow, cancel, bump fees');

  batch
    .command('build')
    .description('turn the approved requests into signing packages (<batchId>.psbt), locking their coins')
    .addOption(homeOption('coordinator'))
    .requiredOption('--out <dir>', 'folder for the <batchId>.psbt files')
    .option(
      '--fee-rate <satVb>',
      "fee rate in sat/vB (default: the node's estimate within the policy)",
      feeRateOption('fee-rate'),
    )
    .option(
      '--fallback-fee-rate <satVb>',
      'fee rate when the node has no estimate (default 10 sat/vB, at most the policy cap)',
      feeRateOption('fallback-fee-rate'),
    )
    .option('--json', 'print the batches as JSON (amounts as strings of sats)')
    .addHelpText('after', '\nExample:\n  kura batch build --home ./coordinator --out /media/usb')
    .action(
      async (flags: {
        home: string;
        out: string;
        feeRate?: number;
        fallbackFeeRate?: number;
        json?: boolean;
      }) => {
        const json = flags.json ?? false;
        const report = await withNode(flags.home, ctx, (home, client) =>
          buildBatchesWithReport(home, client, {
            outDir: resolve(flags.out),
            ...(flags.feeRate === undefined ? {} : { feeRateSatVb: flags.feeRate }),
            ...(flags.fallbackFeeRate === undefined ? {} : { fallbackFeeRateSatVb: flags.fallbackFeeRate }),
          }),
        );
        emit(ctx, json, report, () => [
          ...(report.batches.length === 0 ? ['No batch built: no approved request can be paid now.'] : []),
          ...report.batches.flatMap(batchLines),
          ...(report.feeRate?.notes ?? []).map((n) => `note: ${n}`),
          ...report.skipped.map((s) => `skipped: ${describeSkip(s)}`),
        ]);
      },
    );

  batch
    .command('list')
    .description('list batches, oldest first')
    .addOption(homeOption('coordinator'))
    .option('--state <state>', `only batches in this state (${BATCH_STATES.join(', ')})`, parseState)
    .option('--json', 'print the list as JSON')
    .addHelpText('after', '\nExample:\n  kura batch list --home ./coordinator --state built')
    .action((flags: { home: string; state?: BatchState; json?: boolean }) => {
      const batches = withHome(flags.home, (h) => listBatchSummaries(h, flags.state));
      emit(ctx, flags.json ?? false, { batches }, () =>
        batches.length === 0
          ? ['No batches.']
          : batches.map(
              (b) =>
                `${b.batchId}  ${b.state.padEnd(9)}  ${b.payments} payments, ${sats(b.paymentsSat)}, fee ${b.feeSat} sats at ${b.feeRateSatVb} sat/vB  ${b.txid}${b.replaces === null ? '' : `  bumps ${b.replaces}`}`,
            ),
      );
    });

  batch
    .command('show')
    .description("a batch's coins, payments, change, fee and signers; --out writes its PSBT again")
    .argument('<batchId>', 'the batch')
    .addOption(homeOption('coordinator'))
    .option('--out <dir>', 'write <batchId>.psbt (the package as built) into this folder')
    .option('--json', 'print the batch as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura batch show --home ./coordinator b20250630-1f2e3d4c --out /media/usb',
    )
    .action((batchId: string, flags: { home: string; out?: string; json?: boolean }) => {
      const { detail, path } = withHome(flags.home, (h) => ({
        detail: showBatch(h, batchId),
        path:
          flags.out === undefined
            ? null
            : writeStoredBatch(resolve(flags.out), batchId, batchPsbt(h, batchId)),
      }));
      emit(ctx, flags.json ?? false, { ...detail, path }, () => [
        `Batch ${detail.batchId}: ${detail.state}${detail.replaces === null ? '' : ` (fee bump of ${detail.replaces})`}`,
        `  transaction    ${detail.txid}${detail.finalized ? ' (finalized)' : ''}`,
        ...detail.payments.map(
          (p) =>
            `  pays           ${sats(p.amountSat)} to ${p.destination} (request ${p.requestId.slice(0, 16)}…)`,
        ),
        ...detail.inputs.map((i) => `  spends         ${i.outpoint} ${sats(i.valueSat)}`),
        detail.change === null
          ? '  change         none'
          : `  change         ${sats(detail.change.valueSat)} to ${detail.change.address} (1/${detail.change.index})`,
        `  fee            ${sats(detail.feeSat)} at ${detail.feeRateSatVb} sat/vB`,
        `  signed by      ${detail.signedBy.length === 0 ? 'nobody yet' : detail.signedBy.join(', ')}`,
        ...(path === null ? [] : [`  written to     ${path}`]),
      ]);
    });

  batch
    .command('cancel')
    .description(
      'give up a batch that is not fully signed: release its coins, return its requests to approved',
    )
    .argument('<batchId>', 'the batch')
    .addOption(homeOption('coordinator'))
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  kura batch cancel --home ./coordinator b20250630-1f2e3d4c')
    .action((batchId: string, flags: { home: string; json?: boolean }) => {
      const result = withHome(flags.home, (h) => cancelBatch(h, batchId));
      if (result.warning !== null) ctx.interaction.warn(result.warning);
      emit(ctx, flags.json ?? false, result, () => [
        `Batch ${result.batchId} cancelled: ${result.coinsReleased} coins released, ${result.requests.length} requests back to approved.`,
      ]);
    });

  batch
    .command('import')
    .description('check the signatures in signed files, store them, and finalize batches that have enough')
    .argument('<files...>', 'signed PSBT files (binary or base64), e.g. <batch>.<fingerprint>.signed.psbt')
    .addOption(homeOption('coordinator'))
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExample:\n  kura batch import --home ./coordinator /media/usb/*.signed.psbt')
    .action((files: string[], flags: { home: string; json?: boolean }) => {
      const contents = files.map((f) => readPsbtBytes(f));
      const report = withHome(flags.home, (h) => importSignedPsbts(h, contents));
      const named = { ...report, files: report.files.map((f) => ({ ...f, path: files[f.index] ?? '' })) };
      const lines = () => [
        ...named.files.map((f) =>
          f.refusal === null
            ? `${f.path}: batch ${f.batchId}, ${f.cosigners.map((c) => `${c.fingerprint} signed ${c.signatures} ${c.signatures === 1 ? 'input' : 'inputs'}${c.added ? '' : ' (already imported)'}`).join(', ')}`
            : `${f.path}: REFUSED ${f.refusal.code}: ${f.refusal.message}`,
        ),
        ...named.batches.map(
          (b) =>
            `Batch ${b.batchId}: ${b.state}, ${b.inputsReady} of ${b.inputs} inputs have ${b.threshold} signatures (from ${b.cosigners.join(', ') || 'nobody'})${b.final === null ? '' : `; final transaction ${b.final.vsize} vB at ${b.final.feeRateSatVb} sat/vB`}`,
        ),
      ];
      const refused = named.files.find((f) => f.refusal !== null)?.refusal;
      if (refused === undefined || refused === null) {
        emit(ctx, flags.json ?? false, named, lines);
        return;
      }
      // Refusals set the exit code; with --json the report rides in the error's details.
      if (!(flags.json ?? false)) ctx.out(`${lines().join('\n')}\n`);
      const count = named.files.filter((f) => f.refusal !== null).length;
      throw new KuraError(
        refused.code,
        `${count} of ${files.length} files refused; first: ${refused.message}`,
        {
          ...refused.details,
          report: JSON.parse(
            JSON.stringify(named, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
          ) as unknown,
        },
      );
    });

  batch
    .command('broadcast')
    .description(
      "send a finalized batch's transaction (the same bytes every time) and prove the node holds it",
    )
    .argument('<batchId>', 'the batch')
    .addOption(homeOption('coordinator'))
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  kura batch broadcast --home ./coordinator b20250630-1f2e3d4c')
    .action(async (batchId: string, flags: { home: string; json?: boolean }) => {
      const json = flags.json ?? false;
      const result = await withNode(flags.home, ctx, (h, client) => broadcastBatch(h, client, batchId));
      emit(ctx, json, result, () => [
        `Batch ${result.batchId}: ${result.state}; the node holds ${result.txid} ${result.located.where === 'mempool' ? 'in its mempool' : `in block ${result.located.blockHash} (${result.located.confirmations} confirmations)`}${result.alreadyKnown ? ' (it had it already)' : ''}.`,
        ...(result.replaced === null ? [] : [`  it replaces batch ${result.replaced}`]),
      ]);
    });

  batch
    .command('follow')
    .description('ask the node where each broadcast batch is; record confirmations and reorgs')
    .addOption(homeOption('coordinator'))
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  kura batch follow --home ./coordinator --json')
    .action(async (flags: { home: string; json?: boolean }) => {
      const json = flags.json ?? false;
      const batches = await withNode(flags.home, ctx, (h, client) => followBatches(h, client));
      emit(ctx, json, { batches }, () =>
        batches.length === 0
          ? ['No broadcast batches.']
          : batches.map(
              (b) =>
                `${b.batchId}  ${b.state.padEnd(9)}  ${b.where === 'block' ? `${b.confirmations} confirmations (block ${b.height})` : b.where}${b.changed ? '  (changed)' : ''}${b.note === null ? '' : `\n  note: ${b.note}`}`,
            ),
      );
    });

  batch
    .command('bump')
    .description('make a fee bump: the same coins and requests at a higher fee rate, declared to the signers')
    .argument('<batchId>', 'the batch whose transaction is stuck')
    .addOption(homeOption('coordinator'))
    .requiredOption('--fee-rate <satVb>', 'the new fee rate in sat/vB', feeRateOption('fee-rate'))
    .requiredOption('--out <dir>', 'folder for the new <batchId>.psbt')
    .option('--json', 'print the new batch as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura batch bump --home ./coordinator b20250630-1f2e3d4c --fee-rate 25 --out /media/usb',
    )
    .action(
      async (batchId: string, flags: { home: string; feeRate: number; out: string; json?: boolean }) => {
        const json = flags.json ?? false;
        const bumped = await withNode(flags.home, ctx, (h, client) =>
          bumpBatch(h, client, batchId, flags.feeRate, resolve(flags.out)),
        );
        emit(ctx, json, bumped, () => [
          ...batchLines(bumped),
          `  replaces       ${bumped.replacesTxid}, whose fee was ${bumped.oldFeeSat} sats at ${bumped.oldFeeRateSatVb} sat/vB`,
        ]);
      },
    );
}
