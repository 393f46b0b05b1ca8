// `kura policy check|show`: a withdrawal request checked against a policy file, and the policy
// shown with its hash. The rules live in src/policy; this file parses flags and prints.
import type { Command } from 'commander';
import { MAX_MONEY_SAT, parseRequest } from '../src/approvals/request.js';
import { readJsonFile } from '../src/artifacts/readFile.js';
import { loadPolicy } from '../src/policy/load.js';
import { evaluateRequest, isoTime, PENDING_APPROVAL_CODES, refusalError } from '../src/policy/evaluate.js';
import type { Policy, Tier } from '../src/policy/types.js';
import { decisionView, policyView } from '../src/policy/view.js';
import { emit, integerOption, InvalidOption, type CliContext } from './context.js';

interface CheckFlags {
  policy: string;
  request: string;
  now?: number;
  usageSat?: bigint;
  usageCount: number;
  json?: boolean;
}

function satOption(name: string) {
  return (value: string): bigint => {
    const sat = /^\d{1,16}$/.test(value) ? BigInt(value) : -1n;
    if (sat < 0n || sat > MAX_MONEY_SAT) {
      throw new InvalidOption(`--${name} must be an integer of sats from 0 to ${MAX_MONEY_SAT}`);
    }
    return sat;
  };
}

function sats(value: bigint): string {
  const btc = `${value / 100_000_000n}.${(value % 100_000_000n).toString().padStart(8, '0')}`;
  return `${value} sats (${btc} BTC)`;
}

function quorumText(tier: Tier): string {
  const roles = tier.requiredRoles.length > 0 ? ` (roles ${tier.requiredRoles.join(', ')})` : '';
  const delay = tier.delaySeconds > 0 ? `, then ${tier.delaySeconds} s after the last approval` : '';
  return `${tier.approvals} approval${tier.approvals === 1 ? '' : 's'}${roles}${delay}`;
}

function policyLines(policy: Policy, policyHash: string, path: string): string[] {
  const { limits, allowlist, screening, fees } = policy;
  return [
    `policy       ${policyHash}`,
    `file         ${path}`,
    ...(policy.description === null ? [] : [`description  ${policy.description}`]),
    `network      ${policy.network}`,
    `wallet       ${policy.walletId}`,
    'officers',
    ...policy.officers.map((o) => `  ${o.id.padEnd(20)} ${o.role.padEnd(14)} ${o.publicKey}`),
    'tiers',
    ...policy.tiers.map((t, i) => `  [${i}] up to ${sats(t.upToSat)}: ${quorumText(t)}`),
    'limits',
    `  per withdrawal  ${sats(limits.perWithdrawalSat)}`,
    `  rolling 24 h    ${sats(limits.rolling24h.amountSat)} in at most ${limits.rolling24h.count} withdrawals`,
    `allowlist    ${allowlist.enforced ? 'enforced' : 'not enforced'}, new entries cool for ${allowlist.coolingSeconds} s, ${allowlist.entries.length} entries`,
    ...allowlist.entries.map(
      (e) =>
        `  ${e.address}  "${e.label}" added ${isoTime(e.addedAt)}, usable from ${isoTime(e.addedAt + allowlist.coolingSeconds)}`,
    ),
    screening === null
      ? 'screening    none (no denylist)'
      : `screening    ${screening.entries.length} denied addresses from ${screening.denylistFile} (sha256 ${screening.denylistSha256})`,
    `fees         at most ${fees.maxFeeRateSatVb} sat/vB, ${sats(fees.maxFeeSat)}, ${fees.maxFeePercent} % of the payments`,
    `approvals    expire ${policy.approvalExpirySeconds} s after they are given`,
  ];
}

export function registerPolicy(program: Command, ctx: CliContext): void {
  const policy = program
    .command('policy')
    .description('withdrawal policy files: check a request against a policy, show a policy and its hash');

  policy
    .command('check')
    .description('check a withdrawal request against a policy, listing every reason it fails')
    .requiredOption('--policy <file>', 'policy file (its denylist is read from next to it)')
    .requiredOption('--request <file>', 'withdrawal request file (kind "kura-request")')
    .option(
      '--now <unix>',
      'evaluate at this time, unix seconds (default: now)',
      integerOption('now', 0, Number.MAX_SAFE_INTEGER),
    )
    .option('--usage-sat <n>', 'sats already withdrawn in the last 24 h (default: 0)', satOption('usage-sat'))
    .option(
      '--usage-count <n>',
      'withdrawals already made in the last 24 h',
      integerOption('usage-count', 0, 1_000_000),
      0,
    )
    .option('--json', 'print the decision as JSON')
    .addHelpText(
      'after',
      `
Approvals are not read: the check says which quorum is still needed, alongside any rule that
refuses the request outright. It exits 0 when only approvals are missing, and with the refusal's
exit code (4) when a rule refuses the request.

Examples:
  kura policy check --policy policies/treasury.json --request request.json
  kura policy check --policy policies/treasury.json --request request.json --usage-sat 150000000 --usage-count 3
  kura policy check --policy policies/treasury.json --request request.json --now 1767225600 --json`,
    )
    .action((flags: CheckFlags) => {
      const { policy: loaded, policyHash } = loadPolicy(flags.policy);
      const request = parseRequest(readJsonFile(flags.request, 'request'));
      const now = flags.now ?? Math.floor(Date.now() / 1000);
      const decision = evaluateRequest(loaded, policyHash, request, {
        now,
        approvals: [],
        usage24h: { amountSat: flags.usageSat ?? 0n, count: flags.usageCount },
      });
      const view = decisionView(decision, policyHash);
      const hard = decision.reasons.filter((r) => !PENDING_APPROVAL_CODES.includes(r.code));
      const reasonLines = decision.reasons.map((r) => `  ${r.code}  ${r.message}`);
      const tierLine =
        decision.tier === null
          ? 'tier         none: the amount is above every tier'
          : `tier         [${decision.tierIndex}] up to ${sats(decision.tier.upToSat)}`;
      if (hard.length > 0) {
        if (!flags.json) {
          ctx.out(
            `${[`REFUSED: ${request.amountSat} sats to ${request.destination}`, tierLine, ...reasonLines].join('\n')}\n`,
          );
        }
        throw refusalError(hard, view);
      }
      const needs = decision.tier === null ? 'nothing' : quorumText(decision.tier);
      emit(ctx, flags.json ?? false, { ...view, acceptable: true }, () => [
        `acceptable, needs ${needs}`,
        `request      ${request.amountSat} sats to ${request.destination}`,
        tierLine,
        `policy       ${policyHash}`,
        ...(reasonLines.length > 0 ? ['still to collect', ...reasonLines] : []),
      ]);
    });

  policy
    .command('show')
    .description('print a policy and its hash (SHA-256 of the file, which pins the denylist too)')
    .requiredOption('--policy <file>', 'policy file')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      `
Examples:
  kura policy show --policy policies/exchange-hot-to-cold.json
  kura policy show --policy policies/treasury.json --json`,
    )
    .action((flags: { policy: string; json?: boolean }) => {
      const { policy: loaded, policyHash } = loadPolicy(flags.policy);
      emit(ctx, flags.json ?? false, policyView(loaded, policyHash), () =>
        policyLines(loaded, policyHash, flags.policy),
      );
    });
}
