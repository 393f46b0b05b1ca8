// `kura audit reserves prove|finalize|verify` and `kura audit solvency`: proof of reserves
// (BIP-127) from the coordinator's package to the auditor's check against their own node, and the
// solvency statement. The work is done in src/audit/reserves and src/audit/solvency; this file
// parses and prints. cli/audit.ts owns the `audit` group; these add themselves to it.
import type { Command } from 'commander';
import { formatBtc } from '../src/approvals/approval.js';
import { writeFileAtomic } from '../src/artifacts/atomicWrite.js';
import {
  auditorNodeClient,
  coinLine,
  DEFAULT_MAX_SCAN_BLOCKS,
  finalizeProof,
  proveReserves,
  reportFileOf,
  verifyReservesFile,
} from '../src/audit/reserves/index.js';
import { solvencyFromFiles, statementFileOf, writeStatement } from '../src/audit/solvency/index.js';
import { emit, integerOption, type CliContext } from './context.js';
import { homeOption } from './defaults.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const btc = (sat: bigint): string => `${formatBtc(sat)} BTC (${sat} sats)`;
const repeatable = (value: string, previous: string[] = []) => [...previous, value];

export function registerAuditReserves(audit: Command, ctx: CliContext): void {
  const reserves = audit
    .command('reserves')
    .description(
      'proof of reserves (BIP-127): the coordinator proves, signers sign offline, an auditor verifies on their own node',
    );

  reserves
    .command('prove')
    .description(
      "build the proof package for the coordinator's scanned tip: every unspent coin, one commitment",
    )
    .addOption(homeOption('coordinator'))
    .requiredOption(
      '--message <text>',
      'who the custodian is, and any challenge the auditor asked for; kura appends the block',
    )
    .requiredOption('--out <file>', 'the package (binary PSBT) for the signers; never overwritten')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura audit reserves prove --home ./coordinator --message "ACME Custody, audit 2025-Q2, challenge 7f3a" \\\n    --out reserves.psbt',
    )
    .action(async (flags: { home: string; message: string; out: string; json?: boolean }) => {
      const result = await proveReserves({ home: flags.home, text: flags.message, out: flags.out });
      if (result.nodeAheadBy > 0) {
        ctx.interaction.warn(
          `the node is ${result.nodeAheadBy} blocks ahead of the coordinator: this proof is for block ${result.block.height}; sync first for a later one`,
        );
      }
      emit(ctx, flags.json ?? false, result, () => [
        `Proof package ${result.out} (batch ${result.batchId})`,
        `  message   ${JSON.stringify(result.message)}`,
        `  block     ${result.block.height} ${result.block.hash}`,
        `  coins     ${result.coins}, total ${btc(result.totalSat)}`,
        `  proof tx  ${result.txid}`,
        'Each signer signs it with: kura signer sign --home DIR <file>; then run kura audit reserves finalize.',
      ]);
    });

  reserves
    .command('finalize')
    .description('combine the signed files into the proof file an auditor verifies')
    .addOption(homeOption('coordinator'))
    .requiredOption('--package <file>', 'the package kura audit reserves prove wrote')
    .requiredOption('--signed <file>', 'a signed file from kura signer sign (repeat per signer)', repeatable)
    .requiredOption('--out <file>', 'the proof file (JSON) to write; never overwritten')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura audit reserves finalize --home ./coordinator --package reserves.psbt \\\n' +
        '    --signed reserves-840000.d34db33f.signed.psbt --signed reserves-840000.0badc0de.signed.psbt --out reserves.json',
    )
    .action((flags: { home: string; package: string; signed: string[]; out: string; json?: boolean }) => {
      const result = finalizeProof({
        home: flags.home,
        packagePath: flags.package,
        signedPaths: flags.signed,
        out: flags.out,
      });
      emit(ctx, flags.json ?? false, result, () => [
        `Proof of reserves ${result.out}`,
        `  message   ${JSON.stringify(result.message)}`,
        `  block     ${result.block.height} ${result.block.hash}`,
        `  coins     ${result.coins}, total ${btc(result.totalSat)}`,
        `  proof tx  ${result.txid}`,
        'An auditor checks it with: kura audit reserves verify --proof FILE --rpc-url URL …',
      ]);
    });

  reserves
    .command('verify')
    .description(
      'check a proof file against your own Bitcoin node: commitment, block, coins, signatures, unspent',
    )
    .requiredOption('--proof <file>', 'the proof file (JSON)')
    .requiredOption('--rpc-url <url>', "your node's JSON-RPC URL, e.g. http://127.0.0.1:8332")
    .option('--rpc-cookie <file>', "the node's .cookie file")
    .option('--rpc-user <user>', 'RPC user name (with --rpc-password-file)')
    .option('--rpc-password-file <file>', 'file holding the RPC password (never on the command line)')
    .option(
      '--max-scan-blocks <n>',
      `blocks after the proof's block that may be read to find where spent coins went (default ${DEFAULT_MAX_SCAN_BLOCKS})`,
      integerOption('max-scan-blocks', 0, 10_000_000),
    )
    .option('--out <file>', 'write the verification report (JSON) for kura audit solvency; never overwritten')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura audit reserves verify --proof reserves.json --rpc-url http://127.0.0.1:8332 \\\n' +
        '    --rpc-cookie ~/.bitcoin/.cookie --out reserves-report.json',
    )
    .action(
      async (flags: {
        proof: string;
        rpcUrl: string;
        rpcCookie?: string;
        rpcUser?: string;
        rpcPasswordFile?: string;
        maxScanBlocks?: number;
        out?: string;
        json?: boolean;
      }) => {
        const client = auditorNodeClient(flags);
        try {
          const report = await verifyReservesFile(flags.proof, client, {
            ...(flags.maxScanBlocks === undefined ? {} : { maxScanBlocks: flags.maxScanBlocks }),
          });
          const file = reportFileOf(report);
          if (flags.out !== undefined)
            writeFileAtomic(flags.out, `${JSON.stringify(file, null, 2)}\n`, {
              exclusive: true,
              mode: 0o644,
            });
          const spentSince = report.coins.filter((c) => c.status === 'spent-since').length;
          emit(ctx, flags.json ?? false, file, () => [
            `Proof of reserves VERIFIED against the node (tip ${report.nodeTip.height}).`,
            `  message   ${JSON.stringify(report.message)}`,
            `  block     ${report.block.height} ${report.block.hash}`,
            `  total     ${btc(report.totalSat)} in ${report.coins.length} coins (${spentSince} spent since the block)`,
            'Checks passed:',
            ...report.checks.map((c) => `  ${c.id.padEnd(11)} ${c.detail}`),
            'Coins:',
            ...report.coins.map((c) => `  ${coinLine(c)}`),
            ...(flags.out === undefined ? [] : [`Report written to ${flags.out}.`]),
          ]);
        } finally {
          client.close();
        }
      },
    );
}

export function registerAuditSolvency(audit: Command, ctx: CliContext): void {
  audit
    .command('solvency')
    .description(
      'state whether verified reserves cover published liabilities at the proof’s block (JSON and HTML)',
    )
    .requiredOption('--reserves <file>', 'the verification report from kura audit reserves verify --out')
    .requiredOption(
      '--liabilities <file>',
      'the liabilities root file (root.json) from kura audit liabilities build',
    )
    .option('--proof <file>', 'the proof file, to check the report is about it')
    .option('--out <file>', 'write the statement as JSON; never overwritten')
    .option('--html <file>', 'write the statement as one self-contained HTML page; never overwritten')
    .option('--json', 'print the statement as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura audit solvency --reserves reserves-report.json --liabilities liabilities/root.json \\\n' +
        '    --proof reserves.json --html solvency.html --out solvency.json',
    )
    .action(
      (flags: {
        reserves: string;
        liabilities: string;
        proof?: string;
        out?: string;
        html?: string;
        json?: boolean;
      }) => {
        const statement = solvencyFromFiles({
          reportPath: flags.reserves,
          liabilitiesPath: flags.liabilities,
          ...(flags.proof === undefined ? {} : { proofPath: flags.proof }),
          now: nowSeconds(),
        });
        writeStatement(statement, {
          ...(flags.out === undefined ? {} : { json: flags.out }),
          ...(flags.html === undefined ? {} : { html: flags.html }),
        });
        const written = [flags.out, flags.html].filter((p): p is string => p !== undefined);
        emit(ctx, flags.json ?? false, statementFileOf(statement), () => [
          statement.covered
            ? `COVERED: reserves cover liabilities at block ${statement.reserves.block.height}.`
            : `NOT COVERED: reserves fall short of liabilities at block ${statement.reserves.block.height}.`,
          `  reserves     ${btc(statement.reservesSat)}`,
          `  liabilities  ${btc(statement.liabilitiesSat)}`,
          `  coverage     ${statement.coverage ?? 'no liabilities'}`,
          ...(written.length === 0 ? [] : [`Written: ${written.join(', ')}`]),
        ]);
      },
    );
}
