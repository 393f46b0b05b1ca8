// `kura audit …`: the auditor's tools that need no Bitcoin node — a proof of liabilities (build and
// a customer's check), the coordinator's log exported and verified, and signer ledgers reconciled
// with that log. The work is done in src/audit; this file parses and prints. `registerAudit`
// returns the `audit` group so that later tools (reserves, solvency) add themselves to it.
import type { Command } from 'commander';
import { formatBtc } from '../src/approvals/approval.js';
import { openCoordinatorHome } from '../src/coordinator/home.js';
import { KuraError } from '../src/errors.js';
import {
  buildLiabilities,
  verifyInclusionFiles,
  type LiabilitiesProgress,
} from '../src/audit/liabilities/index.js';
import { exportCoordinatorLog, verifyLogFile } from '../src/audit/log/index.js';
import { reconcileFiles, type ReconcileReport } from '../src/audit/reconcile/index.js';
import { emit, InvalidOption, progress, type CliContext } from './context.js';
import { homeOption } from './defaults.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const sats = (value: bigint | string): string => `${value} sats (${formatBtc(BigInt(value))} BTC)`;
const time = (seconds: number): string => new Date(seconds * 1000).toISOString();

/** Progress lines for long steps: one per `PROGRESS_EVERY` rows, leaves, nodes or files. */
const PROGRESS_EVERY = 100_000;
const PHASES: Record<LiabilitiesProgress['phase'], string> = {
  read: 'reading balances',
  leaves: 'hashing customer leaves',
  nodes: 'hashing tree nodes',
  proofs: 'writing proofs',
};

function headOption(value: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) throw new InvalidOption('--head must be a 64-character hex hash');
  return value.toLowerCase();
}

export function registerAudit(program: Command, ctx: CliContext): Command {
  const audit = program
    .command('audit')
    .description(
      'auditor tools: proof of liabilities, the coordinator log exported and verified, ledgers reconciled',
    );
  registerLiabilities(audit, ctx);
  registerLog(audit, ctx);
  registerReconcile(audit, ctx);
  return audit;
}

function registerLiabilities(audit: Command, ctx: CliContext): void {
  const liabilities = audit
    .command('liabilities')
    .description('a Merkle-sum tree of customer balances, and each customer’s check of their inclusion');

  liabilities
    .command('build')
    .description('build the tree from a balances CSV; write root.json and one proof per customer')
    .requiredOption('--balances <file>', 'CSV with the header customer_id,balance_sat (whole sats)')
    .requiredOption('--out <dir>', 'new (or empty) folder for root.json and proofs/')
    .option('--json', 'print the root as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura audit liabilities build --balances balances.csv --out liabilities-2025-06-30',
    )
    .action(async (flags: { balances: string; out: string; json?: boolean }) => {
      const result = await buildLiabilities({
        balancesPath: flags.balances,
        outDir: flags.out,
        now: nowSeconds(),
        progressEvery: PROGRESS_EVERY,
        onProgress: (p) =>
          progress(ctx, `${PHASES[p.phase]}: ${p.done}${p.total === undefined ? '' : ` of ${p.total}`}`),
      });
      const { root } = result;
      emit(ctx, flags.json ?? false, { ...result }, () => [
        `Liabilities tree of ${root.count} customers built.`,
        `  root hash      ${root.hash}`,
        `  total          ${sats(root.totalSat)}`,
        `  depth          ${root.depth}`,
        `  as of          ${time(root.createdAt)}`,
        `  root           ${result.rootPath} (publish it)`,
        `  proofs         ${result.proofsDir} (give each customer their own file only)`,
      ]);
    });

  liabilities
    .command('verify')
    .description('check that a customer’s balance is included in a published root')
    .requiredOption('--proof <file>', 'the customer’s proof file')
    .requiredOption('--root <file>', 'the published root.json')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura audit liabilities verify --proof alice@example.com.json --root root.json',
    )
    .action((flags: { proof: string; root: string; json?: boolean }) => {
      const result = verifyInclusionFiles(flags.proof, flags.root);
      emit(ctx, flags.json ?? false, { ok: true, ...result }, () => [
        `Included: customer ${result.customerId} with ${sats(result.balanceSat)}`,
        `  in root        ${result.rootHash}`,
        `  total          ${sats(result.totalSat)} over ${result.count} customers (depth ${result.depth})`,
        `  as of          ${time(result.createdAt)}`,
        'Check that the id and balance are yours, and that the root hash is the one the exchange published.',
      ]);
    });
}

function registerLog(audit: Command, ctx: CliContext): void {
  const log = audit.command('log').description('the hash-chained coordinator log and signer ledgers');

  log
    .command('export')
    .description('write the coordinator’s audit log to a file (a header line, then one entry per line)')
    .addOption(homeOption('coordinator'))
    .requiredOption('--out <file>', 'the file to write (never overwritten)')
    .option('--json', 'print the header as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura audit log export --home ./coordinator --out audit-2025-06-30.jsonl',
    )
    .action((flags: { home: string; out: string; json?: boolean }) => {
      const home = openCoordinatorHome(flags.home);
      let result;
      try {
        result = exportCoordinatorLog(home, flags.out, nowSeconds());
      } finally {
        home.close();
      }
      const { header } = result;
      emit(ctx, flags.json ?? false, result, () => [
        `Exported ${header.entries} entries to ${result.out}`,
        `  head           ${header.head}`,
        'Record the head somewhere the coordinator cannot change it: it proves later exports extend this one.',
      ]);
    });

  log
    .command('verify')
    .description('verify an exported coordinator log or a signer ledger; name the first damaged entry')
    .argument('<file>', 'the exported log (kura audit log export) or ledger (kura signer ledger export)')
    .option('--head <hash>', 'a head recorded earlier: the log must contain it', headOption)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  kura audit log verify audit-2025-06-30.jsonl --head 3f…')
    .action((file: string, flags: { head?: string; json?: boolean }) => {
      const result = verifyLogFile(file, flags.head === undefined ? {} : { recordedHead: flags.head });
      const data = {
        ok: true,
        entries: result.entries,
        head: result.head,
        header: result.header,
        endChecked: result.endChecked,
        ...(result.recordedHeadAt === undefined ? {} : { recordedHeadAt: result.recordedHeadAt }),
      };
      emit(ctx, flags.json ?? false, data, () => [
        `Log intact: ${result.entries} entries, head ${result.head}`,
        ...(result.header === null
          ? []
          : [
              `  exported      ${time(result.header.exportedAt)} from the ${result.header.network} coordinator of wallet ${result.header.walletId}`,
            ]),
        ...(result.recordedHeadAt === undefined ? [] : [`  recorded head is entry ${result.recordedHeadAt}`]),
        ...(result.endChecked
          ? []
          : ['  no export header and no --head: entries cut off the end of this file cannot be detected']),
      ]);
    });
}

function reportLines(report: ReconcileReport): string[] {
  return [
    `Log of wallet ${report.log.walletId} (${report.log.threshold}-of-${report.log.cosigners.length}): ${report.log.entries} entries, head ${report.log.head}`,
    ...report.ledgers.map(
      (l) =>
        `  ledger ${l.name}: ${l.entries} entries, ${l.signatures} signatures by ${l.fingerprints.join(', ') || '-'}`,
    ),
    `Checked ${report.checked.signatures} signatures and ${report.checked.broadcasts} broadcast transactions.`,
    ...report.findings.map((f) => `  MISMATCH ${f.kind}: ${f.message}`),
    ...report.notes.map((n) => `  note ${n.kind}: ${n.message}`),
  ];
}

function registerReconcile(audit: Command, ctx: CliContext): void {
  audit
    .command('reconcile')
    .description(
      'check every signer-ledger signature against the coordinator log, and every broadcast against the ledgers',
    )
    .requiredOption('--log <file>', 'the coordinator log from kura audit log export')
    .requiredOption('--ledger <files...>', 'every signer’s ledger from kura signer ledger export')
    .option('--wallet <file>', 'your own copy of the wallet file (its id must match the log’s)')
    .option(
      '--head <hash>',
      'a head of the coordinator log recorded earlier: the log must contain it',
      headOption,
    )
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura audit reconcile --log audit.jsonl --ledger ledger-a.jsonl ledger-b.jsonl ledger-c.jsonl',
    )
    .action((flags: { log: string; ledger: string[]; wallet?: string; head?: string; json?: boolean }) => {
      const report = reconcileFiles({
        logPath: flags.log,
        ledgerPaths: flags.ledger,
        ...(flags.wallet === undefined ? {} : { walletPath: flags.wallet }),
        ...(flags.head === undefined ? {} : { recordedHead: flags.head }),
      });
      if (!report.ok) {
        if (!flags.json) ctx.out(`${reportLines(report).join('\n')}\n`);
        throw new KuraError(
          'RECONCILE_MISMATCH',
          `${report.findings.length} finding(s): the ledgers and the log disagree (first: ${report.findings[0]?.kind ?? '-'})`,
          { ...report },
        );
      }
      emit(ctx, flags.json ?? false, report, () => [...reportLines(report), 'Reconciled: no mismatches.']);
    });
}
