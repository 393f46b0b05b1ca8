// `kura signer policy|sign|ledger`: the signer's policy pin, its signing ceremony and its ledger.
import type { Command } from 'commander';
import { KuraError } from '../src/errors.js';
import { parseChain, serializeChain } from '../src/artifacts/hashChain.js';
import { writeFileAtomic } from '../src/artifacts/atomicWrite.js';
import { readLedger, appendLedger } from '../src/signer/ledger.js';
import { loadPolicy } from '../src/policy/load.js';
import { checkPolicyForWallet, pinPolicy } from '../src/signer/policyPin.js';
import { loadRegisteredWallet } from '../src/signer/register.js';
import { runSelfTest } from '../src/signer/selfTest.js';
import { signAnyPackageFile } from '../src/signer/signCeremony.js';
import { emit, integerOption, type CliContext } from './context.js';
import { homeOption } from './defaults.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function registerSignerSigning(signer: Command, ctx: CliContext): void {
  signer
    .command('policy')
    .description('pin the withdrawal policy (and its denylist) on this signer, by hash')
    .addOption(homeOption('signer'))
    .requiredOption('--policy <file>', 'policy file (its denylist is read from beside it)')
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura signer policy --home ./signer-a --policy policies/treasury.json',
    )
    .action(async (flags: { home: string; policy: string; yes?: boolean; json?: boolean }) => {
      const wallet = loadRegisteredWallet(flags.home);
      if (wallet === undefined) {
        throw new KuraError('WALLET_NOT_REGISTERED', 'register the wallet before pinning its policy', {
          field: 'wallet',
        });
      }
      const candidate = loadPolicy(flags.policy);
      checkPolicyForWallet(candidate, wallet);
      ctx.interaction.say(`Policy ${candidate.policyHash} for wallet "${wallet.name}"`);
      ctx.interaction.say(
        `  ${candidate.policy.officers.length} officers, ${candidate.policy.tiers.length} tiers`,
      );
      if (!flags.yes) {
        if (!ctx.interaction.interactive) {
          throw new KuraError('INTERACTIVE_REQUIRED', 'no terminal to confirm: pass --yes', { field: 'yes' });
        }
        if ((await ctx.interaction.ask('Type "pin" to pin this policy: ')).trim() !== 'pin') {
          throw new KuraError('CONFIRMATION_DECLINED', 'policy not pinned', { field: 'confirm' });
        }
      }
      const pinned = pinPolicy(flags.home, flags.policy);
      appendLedger(
        flags.home,
        'policy',
        { policyHash: pinned.policyHash, walletId: wallet.id },
        nowSeconds(),
      );
      emit(ctx, flags.json ?? false, { policyHash: pinned.policyHash }, () => [
        `Pinned policy ${pinned.policyHash}.`,
      ]);
    });

  signer
    .command('sign')
    .description(
      'check a signing package (a withdrawal, or a proof of reserves) against this signer’s wallet, policy and ledger, then sign it',
    )
    .argument('<file>', 'the PSBT (binary or base64) from the coordinator')
    .addOption(homeOption('signer'))
    .option('--out <dir>', 'folder for <batch>.<fingerprint>.signed.psbt (default: beside the input)')
    .option('--passphrase-file <file>', 'file holding the keystore passphrase (otherwise prompted)')
    .option('--yes', 'do not ask for confirmation (the review is still printed)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  kura signer sign --home ./signer-a /media/usb/batch-42.psbt')
    .action(
      async (
        file: string,
        flags: { home: string; out?: string; passphraseFile?: string; yes?: boolean; json?: boolean },
      ) => {
        runSelfTest();
        const result = await signAnyPackageFile(
          {
            home: flags.home,
            psbtPath: file,
            outDir: flags.out,
            yes: flags.yes ?? false,
            passphraseFile: flags.passphraseFile,
            now: nowSeconds(),
          },
          ctx.interaction,
        );
        if (result.purpose === 'reserves') {
          const { proof } = result;
          const data = {
            purpose: 'reserves',
            txid: proof.txid,
            batchId: proof.pkg.header.batchId,
            signedPath: result.signedPath,
            message: proof.message,
            coins: proof.inputs.length,
            totalSat: proof.totalSat,
            replay: proof.signedBefore ? 'same' : 'new',
            receipt: result.receipt,
          };
          emit(ctx, flags.json ?? false, data, () => [
            `Signed the proof of reserves over ${data.coins} coins; wrote ${data.signedPath}`,
          ]);
          return;
        }
        const data = {
          txid: result.review.txid,
          batchId: result.review.pkg.header.batchId,
          signedPath: result.signedPath,
          inputs: result.review.inputs.length,
          payments: result.review.payments.length,
          feeSat: result.review.feeSat,
          replay: result.review.replay.kind,
          receipt: result.receipt,
        };
        emit(ctx, flags.json ?? false, data, () => [
          `Signed ${data.inputs} inputs; wrote ${data.signedPath}`,
        ]);
      },
    );

  signer
    .command('ledger')
    .description("show, verify or export this signer's hash-chained ledger")
    .argument('[action]', 'show | verify | export', 'show')
    .addOption(homeOption('signer'))
    .option('--out <file>', 'with export: the file to write')
    .option('--last <n>', 'with show: only the last N entries', integerOption('last', 1, 1_000_000))
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  kura signer ledger show --home ./signer-a --last 10\n  kura signer ledger verify --home ./signer-a\n  kura signer ledger export --home ./signer-a --out /media/usb/ledger-a.jsonl',
    )
    .action((action: string, flags: { home: string; out?: string; last?: number; json?: boolean }) => {
      const chain = readLedger(flags.home); // verifies the chain; LEDGER_CORRUPT names the position
      if (action === 'verify') {
        const head = chain.at(-1)?.hash ?? null;
        emit(ctx, flags.json ?? false, { ok: true, entries: chain.length, head }, () => [
          `Ledger intact: ${chain.length} entries, head ${head ?? '(empty)'}`,
        ]);
      } else if (action === 'export') {
        if (flags.out === undefined)
          throw new KuraError('INPUT_REQUIRED', 'export needs --out FILE', { field: 'out' });
        const text = serializeChain(chain);
        parseChain(text, 'LEDGER_CORRUPT', 'ledger');
        writeFileAtomic(flags.out, text, { exclusive: true, mode: 0o444 });
        emit(ctx, flags.json ?? false, { entries: chain.length, out: flags.out }, () => [
          `Exported ${chain.length} entries to ${flags.out}`,
        ]);
      } else if (action === 'show') {
        const shown = flags.last === undefined ? chain : chain.slice(-flags.last);
        emit(ctx, flags.json ?? false, shown, () =>
          shown.map(
            (e) =>
              `${String(e.seq).padStart(5)}  ${new Date(e.time * 1000).toISOString()}  ${e.type.padEnd(8)} ${summary(e.data)}`,
          ),
        );
      } else {
        throw new KuraError(
          'ARGUMENT_INVALID',
          `ledger action must be show, verify or export, not "${action}"`,
          {
            field: 'action',
          },
        );
      }
    });
}

function summary(data: unknown): string {
  const o = data as Record<string, unknown>;
  if (typeof o.message === 'string' && typeof o.txid === 'string')
    return `proof of reserves ${o.txid}: ${String(o.coins)} coins, ${String(o.totalSat)} sats, ${JSON.stringify(o.message)}`;
  if (typeof o.txid === 'string')
    return `${o.txid} (${(o.requests as unknown[] | undefined)?.length ?? 0} requests)`;
  if (typeof o.policyHash === 'string') return `policy ${o.policyHash}`;
  if (typeof o.walletId === 'string') return `wallet ${o.walletId}`;
  return '';
}
