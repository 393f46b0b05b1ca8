// `kura coordinator init|status|token`: the online coordinator's home, its state at a glance, and
// the API tokens of its clients. The work is done in src/coordinator; this file parses and prints.
import type { Command } from 'commander';
import { formatBtc } from '../src/approvals/approval.js';
import {
  coordinatorStatus,
  initCoordinatorHome,
  MAX_BIRTHDAY_HEIGHT,
  openCoordinatorHome,
  rpcAuthFromFlags,
  type CoordinatorHome,
} from '../src/coordinator/home.js';
import { REQUEST_STATES, TOKEN_ROLES } from '../src/coordinator/store/index.js';
import { createToken, listTokens, parseRole, revokeToken } from '../src/coordinator/tokens.js';
import { emit, integerOption, type CliContext } from './context.js';
import { describeNodeState, nodeStateFor } from '../src/coordinator/nodeState.js';
import { homeOption } from './defaults.js';
import { registerCoordinatorServe } from './coordinatorServe.js';
import { registerCoordinatorSync } from './coordinatorSync.js';

interface InitFlags {
  home: string;
  wallet: string;
  policy: string;
  rpcUrl: string;
  rpcCookie?: string;
  rpcUser?: string;
  rpcPasswordFile?: string;
  birthdayHeight?: number;
  json?: boolean;
}

function withHome<R>(home: string, fn: (opened: CoordinatorHome) => R): R {
  const opened = openCoordinatorHome(home);
  try {
    return fn(opened);
  } finally {
    opened.close();
  }
}

const sats = (value: bigint): string => `${value} sats (${formatBtc(value)} BTC)`;
const time = (seconds: number | null): string =>
  seconds === null ? '-' : new Date(seconds * 1000).toISOString();

export function registerCoordinator(program: Command, ctx: CliContext): void {
  const coordinator = program
    .command('coordinator')
    .description('the online coordinator: its home folder, status and API tokens');

  coordinator
    .command('init')
    .description('make a coordinator home: database, copies of the wallet and policy files, node settings')
    .addOption(homeOption('coordinator', 'coordinator home folder (made with mode 0700)'))
    .requiredOption('--wallet <file>', 'wallet file from kura wallet create')
    .requiredOption('--policy <file>', 'policy file for that wallet (its denylist is copied too)')
    .requiredOption('--rpc-url <url>', "Bitcoin node's JSON-RPC URL, e.g. http://127.0.0.1:8332")
    .option('--rpc-cookie <file>', "the node's .cookie file")
    .option('--rpc-user <user>', 'RPC user name (with --rpc-password-file)')
    .option('--rpc-password-file <file>', 'file holding the RPC password (never on the command line)')
    .option(
      '--birthday-height <height>',
      'first block that can hold the wallet’s coins',
      integerOption('birthday-height', 0, MAX_BIRTHDAY_HEIGHT),
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura coordinator init --home ./coordinator --wallet treasury.wallet.json \\\n' +
        '    --policy policies/treasury.json --rpc-url http://127.0.0.1:18443 --rpc-cookie ~/.bitcoin/regtest/.cookie',
    )
    .action((flags: InitFlags) => {
      const result = initCoordinatorHome({
        home: flags.home,
        walletPath: flags.wallet,
        policyPath: flags.policy,
        rpcUrl: flags.rpcUrl,
        rpcAuth: rpcAuthFromFlags(flags),
        ...(flags.birthdayHeight === undefined ? {} : { birthdayHeight: flags.birthdayHeight }),
      });
      emit(ctx, flags.json ?? false, result, () => [
        `Coordinator home ${result.home} created.`,
        `  network        ${result.network}`,
        `  wallet         ${result.walletName} (${result.walletId})`,
        `  policy         ${result.policyHash}`,
        `  node           ${result.rpcUrl} (${result.rpcAuth === 'cookie' ? 'cookie file' : 'user and password file'})`,
        `  birthday       block ${result.birthdayHeight}`,
        `  audit head     ${result.auditHead}`,
      ]);
    });

  coordinator
    .command('status')
    .description('network, wallet, policy, requests by state, balance and the audit head')
    .addOption(homeOption('coordinator'))
    .option('--json', 'print the status as JSON (amounts as strings of sats)')
    .addHelpText(
      'after',
      '\nExamples:\n  kura coordinator status --home ./coordinator\n  KURA_HOME=./coordinator kura coordinator status --json',
    )
    .action(async (flags: { home: string; json?: boolean }) => {
      // The node's state: a quick getblockchaininfo, never an error for status (docs/faults.md).
      const opened = withHome(flags.home, (h) => ({ store: coordinatorStatus(h), config: h.config }));
      const status = { ...opened.store, node: await nodeStateFor(opened.config, opened.store) };
      emit(ctx, flags.json ?? false, status, () => [
        `Coordinator ${status.home}`,
        `  network        ${status.network}`,
        `  wallet         ${status.walletName} (${status.walletId})`,
        `  policy         ${status.policyHash}`,
        `  node           ${status.rpcUrl}`,
        `  node state     ${describeNodeState(status.node)}`,
        `  scanned to     ${status.tip === null ? `nothing yet (birthday ${status.birthdayHeight})` : `block ${status.tip.height} ${status.tip.hash}`}`,
        'requests',
        ...REQUEST_STATES.map((s) => `  ${s.padEnd(17)} ${status.requests[s]}`),
        'balance',
        `  confirmed      ${sats(status.balance.confirmedSat)}`,
        `  unconfirmed    ${sats(status.balance.unconfirmedSat)}`,
        `  locked         ${sats(status.balance.lockedSat)}`,
        `  total          ${sats(status.balance.totalSat)}`,
        `audit log        ${status.audit.entries} entries, chain verified, head ${status.audit.head ?? '-'}`,
      ]);
    });

  const token = coordinator
    .command('token')
    .description('API bearer tokens: one per client, each with a role; only their SHA-256 is stored');

  token
    .command('create')
    .description('make a token and print it once')
    .addOption(homeOption('coordinator'))
    .requiredOption('--role <role>', `what the client may do: ${TOKEN_ROLES.join(', ')}`)
    .option('--label <text>', 'who or what the token is for', '')
    .option('--json', 'print the token and its id as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura coordinator token create --home ./coordinator --role intake --label "payments backend"',
    )
    .action((flags: { home: string; role: string; label: string; json?: boolean }) => {
      const role = parseRole(flags.role, 'role');
      const made = withHome(flags.home, (h) => createToken(h.store, role, flags.label));
      emit(ctx, flags.json ?? false, made, () => [
        `Token ${made.tokenId} (role ${made.role}${made.label === '' ? '' : `, "${made.label}"`}) created.`,
        'It is shown this once; kura keeps only its SHA-256. Give it to the client as',
        '"Authorization: Bearer <token>":',
        made.token,
      ]);
    });

  token
    .command('revoke')
    .description('revoke a token: requests carrying it are refused from now on')
    .addOption(homeOption('coordinator'))
    .requiredOption('--id <tokenId>', 'the token id (tok_…), as token list shows it')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  kura coordinator token revoke --home ./coordinator --id tok_3f9a…')
    .action((flags: { home: string; id: string; json?: boolean }) => {
      const result = withHome(flags.home, (h) => revokeToken(h.store, flags.id));
      emit(ctx, flags.json ?? false, result, () => [
        result.changed
          ? `Token ${result.token.tokenId} revoked.`
          : `Token ${result.token.tokenId} was already revoked at ${time(result.token.revokedAt)}.`,
      ]);
    });

  token
    .command('list')
    .description('list tokens (ids, roles, labels; never the tokens)')
    .addOption(homeOption('coordinator'))
    .option('--json', 'print the list as JSON')
    .addHelpText('after', '\nExample:\n  kura coordinator token list --home ./coordinator --json')
    .action((flags: { home: string; json?: boolean }) => {
      const tokens = withHome(flags.home, (h) => listTokens(h.store));
      emit(ctx, flags.json ?? false, { tokens }, () =>
        tokens.length === 0
          ? ['No tokens.']
          : tokens.map(
              (t) =>
                `${t.tokenId}  ${t.role.padEnd(8)}  created ${time(t.createdAt)}  ${t.revokedAt === null ? 'active ' : 'revoked'}  ${t.label}`,
            ),
      );
    });

  registerCoordinatorServe(coordinator, ctx);
  registerCoordinatorSync(coordinator, ctx);
}
