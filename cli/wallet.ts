// `kura wallet create|show|addresses`: the M-of-N wallet from cosigner files.
import type { Command } from 'commander';
import { WalletDeriver } from '../src/bitcoin/addresses.js';
import { CHANGE, RECEIVE } from '../src/bitcoin/descriptor.js';
import { parseNetworkName } from '../src/bitcoin/networks.js';
import { writeFileAtomic } from '../src/artifacts/atomicWrite.js';
import { readJsonFile } from '../src/artifacts/readFile.js';
import { parseWalletFile } from '../src/artifacts/walletFile.js';
import { createWallet } from '../src/artifacts/walletCreate.js';
import { emit, integerOption, type CliContext } from './context.js';

export function registerWallet(program: Command, ctx: CliContext): void {
  const wallet = program.command('wallet').description('the M-of-N multisig wallet: create, show, addresses');

  wallet
    .command('create')
    .description('build a wsh(sortedmulti(M, …)) wallet file from cosigner files or key-origin strings')
    .requiredOption('--threshold <m>', 'signatures required (M)', integerOption('threshold', 0, 1000))
    .requiredOption(
      '--cosigner <file-or-key>',
      'a cosigner file, a [fp/path]xpub string, or [fp/path]Zpub/Vpub (repeat per cosigner)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .requiredOption('--name <name>', 'a name for people; not part of the wallet id')
    .requiredOption('--out <file>', 'wallet file to write (never overwritten)')
    .option('--network <name>', 'needed only when no cosigner file says it')
    .option('--json', 'print the wallet file as JSON')
    .addHelpText(
      'after',
      `
Example:
  kura wallet create --threshold 2 --name treasury --out treasury.wallet.json \\
    --cosigner a/cosigner.json --cosigner b/cosigner.json --cosigner c/cosigner.json`,
    )
    .action(
      (flags: {
        threshold: number;
        cosigner: string[];
        name: string;
        out: string;
        network?: string;
        json?: boolean;
      }) => {
        const network = flags.network === undefined ? undefined : parseNetworkName(flags.network);
        const file = createWallet({
          threshold: flags.threshold,
          cosigners: flags.cosigner,
          name: flags.name,
          network,
        });
        writeFileAtomic(flags.out, `${JSON.stringify(file, null, 2)}\n`, { exclusive: true, mode: 0o444 });
        emit(ctx, flags.json ?? false, file, () => [
          `Wallet "${file.name}": ${file.threshold}-of-${file.cosigners.length} on ${file.network}`,
          `  id          ${file.walletId}`,
          `  descriptor  ${file.descriptor}`,
          `Written to ${flags.out}. Each signer registers it with: kura signer register --home DIR --wallet ${flags.out}`,
        ]);
      },
    );

  wallet
    .command('show')
    .description('print a wallet file after checking it')
    .requiredOption('--wallet <file>', 'wallet file')
    .option('--json', 'print as JSON')
    .action((flags: { wallet: string; json?: boolean }) => {
      const { file } = parseWalletFile(readJsonFile(flags.wallet, 'wallet'));
      emit(ctx, flags.json ?? false, file, () => [
        `Wallet "${file.name}": ${file.threshold}-of-${file.cosigners.length} on ${file.network}`,
        `  id       ${file.walletId}`,
        ...file.cosigners.map((c, i) => `  key ${i + 1}    ${c.keyOrigin}`),
        `  multipath  ${file.descriptor}`,
        `  receive    ${file.receiveDescriptor}`,
        `  change     ${file.changeDescriptor}`,
      ]);
    });

  wallet
    .command('addresses')
    .description('derive receive (or --change) addresses')
    .requiredOption('--wallet <file>', 'wallet file')
    .option('--change', 'change addresses (/1/*) instead of receive (/0/*)')
    .option('--from <i>', 'first index', integerOption('from', 0, 0x7fffffff), 0)
    .option('--count <n>', 'how many', integerOption('count', 0, 100_000), 10)
    .option('--json', 'print [{ index, address, change }] as JSON')
    .action((flags: { wallet: string; change?: boolean; from: number; count: number; json?: boolean }) => {
      const loaded = parseWalletFile(readJsonFile(flags.wallet, 'wallet'));
      const change = flags.change ?? false;
      const rows = new WalletDeriver(loaded.wallet)
        .range(change ? CHANGE : RECEIVE, flags.from, flags.count)
        .map((a) => ({ index: a.index, address: a.address, change }));
      emit(ctx, flags.json ?? false, rows, () =>
        rows.map((r) => `${String(r.index).padStart(6)}  ${r.address}`),
      );
    });
}
