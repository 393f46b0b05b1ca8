// `kura keys create|show`: the key ceremony of one cosigner.
import type { Command } from 'commander';
import { parseNetworkName } from '../src/bitcoin/networks.js';
import { KuraError } from '../src/errors.js';
import { createKey, showKey, verifyKey } from '../src/keys/ceremony.js';
import { runSelfTest } from '../src/signer/selfTest.js';
import { emit, integerOption, keySafetyInteraction, type CliContext } from './context.js';
import { homeOption } from './defaults.js';

interface CreateFlags {
  home: string;
  network: string;
  account: number;
  dice?: boolean;
  unattended?: boolean;
  wordsOut?: string;
  restore?: boolean;
  wordsFile?: string;
  bip39PassphraseFile?: string;
  passphraseFile?: string;
  json?: boolean;
}

export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description("a cosigner's cold key: create, restore, show");

  keys
    .command('create')
    .description('create (or --restore) the cold key of one cosigner in a new signer home')
    .addOption(homeOption('signer', 'signer home folder (created with mode 0700)'))
    .option('--network <name>', 'mainnet, testnet, signet or regtest', 'mainnet')
    .option('--account <n>', 'BIP-48 account number', integerOption('account', 0, 0x7fffffff), 0)
    .option('--dice', 'also type at least 99 die rolls, mixed into the CSPRNG entropy')
    .option('--unattended', 'no person present: skip the backup quiz (dangerous; needs --words-out)')
    .option('--words-out <file>', 'with --unattended: write the new words to this file (0400)')
    .option('--restore', 'restore from existing words instead of creating new ones (needs --words-file)')
    .option('--words-file <file>', 'with --restore: file holding the words')
    .option('--bip39-passphrase-file <file>', 'file holding the optional BIP-39 passphrase')
    .option('--passphrase-file <file>', 'file holding the keystore passphrase (otherwise prompted)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  kura keys create --home ./signer-a --network mainnet
  kura keys create --home ./signer-a --restore --words-file words.txt --passphrase-file pass.txt
  kura keys create --home ./ci-signer --network regtest --unattended --words-out words.txt --passphrase-file pass.txt`,
    )
    .action(async (flags: CreateFlags) => {
      if (flags.restore && flags.wordsFile === undefined) {
        throw new KuraError('INPUT_REQUIRED', '--restore needs --words-file FILE', { field: 'words-file' });
      }
      if (!flags.restore && flags.wordsFile !== undefined) {
        throw new KuraError('ARGUMENT_INVALID', '--words-file is only used with --restore', {
          field: 'words-file',
        });
      }
      runSelfTest();
      const result = await createKey(
        {
          home: flags.home,
          network: parseNetworkName(flags.network),
          account: flags.account,
          dice: flags.dice ?? false,
          unattended: flags.unattended ?? false,
          ...(flags.restore ? { restoreWordsFile: flags.wordsFile } : {}),
          ...(flags.wordsOut !== undefined ? { wordsOut: flags.wordsOut } : {}),
          ...(flags.bip39PassphraseFile !== undefined
            ? { bip39PassphraseFile: flags.bip39PassphraseFile }
            : {}),
          ...(flags.passphraseFile !== undefined ? { passphraseFile: flags.passphraseFile } : {}),
        },
        // the unattended-backup warning is shown even with --quiet
        keySafetyInteraction(ctx),
      );
      emit(ctx, flags.json ?? false, result, () => [
        `${result.restored ? 'Restored' : 'Created'} key ${result.cosigner.fingerprint} on ${result.cosigner.network}`,
        `  path       ${result.cosigner.path}`,
        `  xpub       ${result.cosigner.xpub}`,
        `  keystore   ${result.keystorePath}`,
        `  cosigner   ${result.cosigner.keyOrigin}`,
        `Hand ${result.cosignerPath} to whoever creates the wallet.`,
      ]);
    });

  keys
    .command('show')
    .description("print this signer's fingerprint, path and xpub (no passphrase needed)")
    .addOption(homeOption('signer'))
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  kura keys show --home ./signer-a\n  KURA_HOME=/media/signer-a kura keys show --json',
    )
    .action((flags: { home: string; json?: boolean }) => {
      const { keystore, keyOrigin } = showKey(flags.home);
      const data = {
        network: keystore.network,
        fingerprint: keystore.fingerprint,
        path: keystore.path,
        xpub: keystore.xpub,
        keyOrigin,
      };
      emit(ctx, flags.json ?? false, data, () => [
        `fingerprint  ${data.fingerprint}`,
        `network      ${data.network}`,
        `path         ${data.path}`,
        `xpub         ${data.xpub}`,
        `key origin   ${data.keyOrigin}`,
      ]);
    });

  keys
    .command('verify')
    .description('unlock the keystore and re-derive its key: checks the passphrase and the sealed words')
    .addOption(homeOption('signer'))
    .option('--passphrase-file <file>', 'file holding the keystore passphrase (otherwise prompted)')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  kura keys verify --home ./signer-a')
    .action(async (flags: { home: string; passphraseFile?: string; json?: boolean }) => {
      runSelfTest();
      const { keystore, keyOrigin } = await verifyKey(flags.home, flags.passphraseFile, ctx.interaction);
      const data = { ok: true, fingerprint: keystore.fingerprint, keyOrigin };
      emit(ctx, flags.json ?? false, data, () => [
        `Keystore ${keystore.fingerprint} unlocked; key re-derived.`,
      ]);
    });
}
