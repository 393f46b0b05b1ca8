// `kura request submit|list|show|cancel` and `kura approval submit`: the coordinator's withdrawal
// requests and officers' approvals from the command line, for teams that move them as files. The
// work is done by the request service (src/coordinator/intake); this file parses and prints.
import type { Command } from 'commander';
import { formatBtc } from '../src/approvals/approval.js';
import { parseAmountSat } from '../src/approvals/request.js';
import { writeFileAtomic } from '../src/artifacts/atomicWrite.js';
import { readJsonFile } from '../src/artifacts/readFile.js';
import { openCoordinatorHome, type CoordinatorHome } from '../src/coordinator/home.js';
import {
  cancelWithdrawal,
  listWithdrawals,
  parseRequestId,
  parseStateFilter,
  rejectionError,
  showWithdrawal,
  submitApproval,
  submitWithdrawal,
  systemNow,
  type WithdrawalView,
} from '../src/coordinator/intake/index.js';
import { BATCHED_STATES, REQUEST_STATES, type RequestState } from '../src/coordinator/store/index.js';
import { isKuraError } from '../src/errors.js';
import { isoTime } from '../src/policy/index.js';
import { emit, integerOption, type CliContext } from './context.js';
import { homeOption } from './defaults.js';

/** The client id of requests submitted from the command line (API clients use their token id). */
export const CLI_CLIENT_ID = 'cli';

function withHome<R>(home: string, fn: (opened: CoordinatorHome) => R): R {
  const opened = openCoordinatorHome(home);
  try {
    return fn(opened);
  } finally {
    opened.close();
  }
}

const amount = (amountSat: string): string => `${formatBtc(BigInt(amountSat))} BTC (${amountSat} sats)`;

function progressLines(w: WithdrawalView): string[] {
  const p = w.progress;
  if (p === null) return [];
  const lines = [
    `  tier           ${p.tierIndex ?? '-'}: ${p.approvalsNeeded ?? '-'} approvals${p.requiredRoles.length > 0 ? `, roles ${p.requiredRoles.join(', ')}` : ''}${p.delaySeconds ? `, ${p.delaySeconds} s delay` : ''}`,
    `  approved by    ${p.approvedBy.length === 0 ? 'nobody yet' : p.approvedBy.join(', ')}`,
  ];
  if (p.readyAt !== null) lines.push(`  ready at       ${isoTime(p.readyAt)}`);
  for (const reason of p.waitingFor) lines.push(`  waiting for    ${reason.message}`);
  return lines;
}

function viewLines(w: WithdrawalView): string[] {
  return [
    `Request ${w.requestId}`,
    `  state          ${w.state}${w.batchId === null ? '' : ` (batch ${w.batchId})`}`,
    `  amount         ${amount(w.amountSat)}`,
    `  destination    ${w.destination}`,
    `  expires        ${isoTime(w.expiresAt)}`,
    `  created        ${isoTime(w.createdAt)} by ${w.clientId}, key ${JSON.stringify(w.idempotencyKey)}`,
    `  digest         ${w.requestDigest}`,
    ...w.approvals.map(
      (a) =>
        `  approval       ${a.officerId ?? a.officerPublicKey} (${a.role ?? '?'}) at ${isoTime(a.approvedAt)}`,
    ),
    ...progressLines(w),
  ];
}

export function registerRequest(program: Command, ctx: CliContext): void {
  const request = program
    .command('request')
    .description("the coordinator's withdrawal requests: submit, list, show, cancel");

  request
    .command('submit')
    .description('submit a withdrawal request, checked against the policy at once')
    .addOption(homeOption('coordinator'))
    .requiredOption('--destination <address>', 'address to pay (of the wallet’s network)')
    .requiredOption('--amount-sat <sats>', 'amount in sats')
    .requiredOption(
      '--idempotency-key <key>',
      'a key naming this withdrawal: submitting again with it returns the same request',
    )
    .option(
      '--expires-in <seconds>',
      "seconds until the request expires (default and maximum: the policy's approvalExpirySeconds)",
      integerOption('expires-in', 1, Number.MAX_SAFE_INTEGER),
    )
    .option('--json', 'print the request as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura request submit --home ./coordinator --destination bcrt1q… --amount-sat 150000 \\\n' +
        '    --idempotency-key payout-2024-0042',
    )
    .action(
      (flags: {
        home: string;
        destination: string;
        amountSat: string;
        idempotencyKey: string;
        expiresIn?: number;
        json?: boolean;
      }) => {
        const body = {
          destination: flags.destination,
          amountSat: parseAmountSat(flags.amountSat, 'amount-sat'),
          expiresInSeconds: flags.expiresIn ?? null,
        };
        const result = withHome(flags.home, (h) =>
          submitWithdrawal(
            h,
            { clientId: CLI_CLIENT_ID, idempotencyKey: flags.idempotencyKey, body },
            systemNow(),
          ),
        );
        const rejected = rejectionError(result.withdrawal);
        if (rejected !== undefined) {
          if (!(flags.json ?? false)) {
            ctx.err(`Request ${result.withdrawal.requestId} was rejected by the policy:\n`);
            for (const r of (rejected.details.reasons ?? []) as { code: string; message: string }[]) {
              ctx.err(`  ${r.code}: ${r.message}\n`);
            }
          }
          throw rejected;
        }
        const w = result.withdrawal;
        emit(ctx, flags.json ?? false, result, () => [
          result.created
            ? `Request ${w.requestId} submitted: ${w.state}.`
            : `Request ${w.requestId} was already submitted with this idempotency key: ${w.state}.`,
          ...viewLines(w).slice(1),
          ...(w.state === 'pending_approval'
            ? [
                'For the officers:',
                `  kura request show --home ${flags.home} ${w.requestId} --out ${w.requestId.slice(0, 12)}.request.json`,
              ]
            : []),
        ]);
      },
    );

  request
    .command('list')
    .description('list requests, oldest first (up to 1000)')
    .addOption(homeOption('coordinator'))
    .option('--state <state>', `only requests in this state: ${REQUEST_STATES.join(', ')}`)
    .option('--json', 'print the list as JSON')
    .addHelpText('after', '\nExample:\n  kura request list --home ./coordinator --state pending_approval')
    .action((flags: { home: string; state?: string; json?: boolean }) => {
      const state = flags.state === undefined ? undefined : parseStateFilter(flags.state, 'state');
      const withdrawals = withHome(flags.home, (h) =>
        listWithdrawals(h, state === undefined ? {} : { state }, systemNow()),
      );
      emit(ctx, flags.json ?? false, { withdrawals }, () =>
        withdrawals.length === 0
          ? ['No requests.']
          : withdrawals.map(
              (w) =>
                `${w.requestId}  ${w.state.padEnd(16)}  ${amount(w.amountSat).padEnd(36)}  ${w.destination}  ${isoTime(w.createdAt)}`,
            ),
      );
    });

  request
    .command('show')
    .description(
      'show a request, its approvals and what it waits for; --out writes the file officers approve',
    )
    .addOption(homeOption('coordinator'))
    .argument('<requestId>', 'the request id (64 hex characters)')
    .option(
      '--out <file>',
      'write the request file for `kura officer approve --request FILE` (never overwritten)',
    )
    .option('--json', 'print the request as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura request show --home ./coordinator 4f2a9c… --out 4f2a9c.request.json',
    )
    .action((requestId: string, flags: { home: string; out?: string; json?: boolean }) => {
      const id = parseRequestId(requestId, 'requestId');
      const w = withHome(flags.home, (h) => showWithdrawal(h, id, systemNow()));
      if (flags.out !== undefined) {
        writeFileAtomic(flags.out, `${JSON.stringify(w.request, null, 2)}\n`, {
          exclusive: true,
          mode: 0o444,
        });
        if (w.state !== 'pending_approval') {
          ctx.interaction.warn(
            `request ${w.requestId} is ${w.state}: the coordinator takes no approvals for it.`,
          );
        }
      }
      emit(ctx, flags.json ?? false, w, () => [
        ...viewLines(w),
        ...(flags.out === undefined
          ? []
          : [`Request file written to ${flags.out}; hand it to the officers.`]),
      ]);
    });

  request
    .command('cancel')
    .description('cancel a request that is not yet in a batch')
    .addOption(homeOption('coordinator'))
    .argument('<requestId>', 'the request id (64 hex characters)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  kura request cancel --home ./coordinator 4f2a9c…')
    .action((requestId: string, flags: { home: string; json?: boolean }) => {
      const id = parseRequestId(requestId, 'requestId');
      const result = withHome(flags.home, (h) =>
        cancelWithdrawal(h, id, { actor: CLI_CLIENT_ID }, systemNow()),
      );
      emit(ctx, flags.json ?? false, result, () => [
        result.changed
          ? `Request ${result.withdrawal.requestId} cancelled.`
          : `Request ${result.withdrawal.requestId} was already cancelled.`,
      ]);
    });
}

export function registerApproval(program: Command, ctx: CliContext): void {
  const approval = program.command('approval').description("officers' approvals handed to the coordinator");

  approval
    .command('submit')
    .description('verify approval files against their requests and store them (all or none)')
    .addOption(homeOption('coordinator'))
    .argument('<files...>', 'approval files from kura officer approve')
    .option('--json', 'print the results as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura approval submit --home ./coordinator 4f2a9c.79be667e.approval.json',
    )
    .action((files: string[], flags: { home: string; json?: boolean }) => {
      // Every file is read and parsed before anything is stored, and all are stored in one
      // transaction: one bad file leaves the store exactly as it was.
      const parsed = files.map((file) => ({ file, json: readJsonFile(file, 'approval') }));
      const results = withHome(flags.home, (h) => {
        const now = systemNow();
        return h.store.atomically(() =>
          parsed.map(({ file, json }) => ({ file, ...approvalOutcome(h, json, now) })),
        );
      });
      const data = {
        approvals: results.map((r) => ({
          file: r.file,
          outcome: r.outcome,
          requestId: r.withdrawal.requestId,
          state: r.withdrawal.state,
        })),
      };
      emit(ctx, flags.json ?? false, data, () =>
        results.map(
          (r) =>
            `${r.file}: ${r.outcome}; request ${r.withdrawal.requestId} is ${r.withdrawal.state}` +
            (r.withdrawal.progress?.readyAt != null && r.withdrawal.state === 'pending_approval'
              ? ` (ready at ${isoTime(r.withdrawal.progress.readyAt)})`
              : ''),
        ),
      );
    });
}

/** States in which a request needs no more approvals. */
const APPROVED_STATES: readonly RequestState[] = ['approved', ...BATCHED_STATES];

/**
 * One file's result. When several officers' files arrive together, those after the quorum find
 * the request approved already: they verified, but are not needed (the service refuses them so
 * that a late approval never restarts a tier's delay), which is no reason to refuse the others.
 */
function approvalOutcome(
  home: CoordinatorHome,
  json: unknown,
  now: number,
): {
  outcome: 'stored' | 'already stored' | 'not needed: the request is already approved';
  withdrawal: WithdrawalView;
} {
  try {
    const result = submitApproval(home, json, now);
    return { outcome: result.added ? 'stored' : 'already stored', withdrawal: result.withdrawal };
  } catch (error) {
    const state = isKuraError(error, 'COORDINATOR_STATE_CONFLICT') ? error.details.state : undefined;
    const requestId = isKuraError(error) ? error.details.requestId : undefined;
    if (typeof requestId === 'string' && APPROVED_STATES.includes(state as RequestState)) {
      return {
        outcome: 'not needed: the request is already approved',
        withdrawal: showWithdrawal(home, requestId, now),
      };
    }
    throw error;
  }
}
