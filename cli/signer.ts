// `kura signer register`: pin the wallet on this signer after the operator has compared it.
import type { Command } from 'commander';
import { KuraError } from '../src/errors.js';
import { readJsonFile } from '../src/artifacts/readFile.js';
import { parseWalletFile } from '../src/artifacts/walletFile.js';
import { showKey } from '../src/keys/ceremony.js';
import { planPin, pinWallet, reviewRegistration } from '../src/signer/register.js';
import { runSelfTest } from '../src/signer/selfTest.js';
import { emit, type CliContext } from './context.js';
import { homeOption } from './defaults.js';
import { registerSignerSigning } from './signerSigning.js';

export function registerSigner(program: Command, ctx: CliContext): void {
  const signer = program
    .command('signer')
    .description('the offline signer: register a wallet, pin a policy, sign packages, keep a ledger');
  registerSignerSigning(signer, ctx);

  signer
    .command('register')
    .description('check that this signer is in the wallet, show it for comparison, and pin it')
    .addOption(homeOption('signer'))
    .requiredOption('--wallet <file>', 'wallet file from kura wallet create')
    .option('--yes', 'do not ask for confirmation (scripts); the review is still printed')
    .option('--replace', 'replace a different wallet already pinned on this signer')
    .option('--json', 'print the review as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  kura signer register --home ./signer-a --wallet treasury.wallet.json',
    )
    .action(
      async (flags: { home: string; wallet: string; yes?: boolean; replace?: boolean; json?: boolean }) => {
        runSelfTest();
        const { key } = showKey(flags.home);
        const loaded = parseWalletFile(readJsonFile(flags.wallet, 'wallet'));
        const review = reviewRegistration(key, loaded);
        const outcome = planPin(flags.home, loaded, flags.replace ?? false);
        const say = (line: string) => ctx.interaction.say(line);
        say(`Wallet "${review.name}" on ${review.network}: ${review.threshold}-of-${review.cosignerCount}`);
        say(`  wallet id  ${review.walletId}`);
        for (const c of review.cosigners) {
          say(`  ${c.thisSigner ? '→' : ' '} key ${c.position}  ${c.fingerprint}  ${c.path}  ${c.xpub}`);
        }
        say(`  this signer is key ${review.position} of ${review.cosignerCount}`);
        say(`  first receive address  ${review.firstReceiveAddress}`);
        say(
          'Compare every fingerprint, xpub and the first address with the other cosigners before confirming.',
        );
        if (outcome !== 'already-registered' && !flags.yes) {
          if (!ctx.interaction.interactive) {
            throw new KuraError(
              'INTERACTIVE_REQUIRED',
              'no terminal to confirm: review the output and pass --yes',
              {
                field: 'yes',
              },
            );
          }
          const word = outcome === 'replaced' ? 'replace' : 'register';
          const answer = await ctx.interaction.ask(`Type "${word}" to pin this wallet: `);
          if (answer.trim() !== word) {
            throw new KuraError('CONFIRMATION_DECLINED', 'registration not confirmed; nothing was pinned', {
              field: 'confirm',
            });
          }
        }
        pinWallet(flags.home, loaded, outcome, Math.floor(Date.now() / 1000));
        emit(ctx, flags.json ?? false, { ...review, outcome }, () => [
          outcome === 'already-registered'
            ? `Wallet ${review.walletId} was already registered on this signer.`
            : `Wallet ${review.walletId} ${outcome === 'replaced' ? 'replaced the previous one' : 'registered'} on this signer.`,
        ]);
      },
    );
}
