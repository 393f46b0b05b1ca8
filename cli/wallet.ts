// `kura wallet create|show|addresses|export|import`: the M-of-N wallet from cosigner files, and
// the same wallet in the formats of Bitcoin Core, Caravan, Coldcard and Sparrow (docs/interop.md).
import type { Command } from 'commander';
import { WalletDeriver } from '../src/bitcoin/addresses.js';
import { CHANGE, RECEIVE } from '../src/bitcoin/descriptor.js';
import { parseNetworkName } from '../src/bitcoin/networks.js';
import { writeFileAtomic } from '../src/artifacts/atomicWrite.js';
import { MAX_JSON_FILE_BYTES, readBoundedFile, readJsonFile } from '../src/artifacts/readFile.js';
import { parseWalletFile, type WalletFile } from '../src/artifacts/walletFile.js';
import { createWallet } from '../src/artifacts/walletCreate.js';
import { exportWallet, parseExportFormat } from '../src/artifacts/walletExport.js';
import { importWallet, parseImportFormat } from '../src/artifacts/walletImport.js';
import { emit, integerOption, type CliContext } from './context.js';

function createdLines(file: WalletFile, out: string): string[] {
  return [
    `Wallet "${file.name}": ${file.threshold}-of-${file.cosigners.length} on ${file.network}`,
    `  id          ${file.walletId}`,
    `  descriptor  ${file.descriptor}`,
    `Written to ${out}. Each signer registers it with: kura signer register --home DIR --wallet ${out}`,
  ];
}

/** `--timestamp now` or a Unix time in seconds. */
function timestampOption(value: string): number | 'now' {
  return value === 'now' ? 'now' : integerOption('timestamp', 0, 0xffffffff)(value);
}

export function registerWallet(program: Command, ctx: CliContext): void {
  const wallet = program
    .command('wallet')
    .description('the M-of-N multisig wallet: create, show, addresses, export, import');

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
        emit(ctx, flags.json ?? false, file, () => createdLines(file, flags.out));
      },
    );

  wallet
    .command('show')
    .description('print a wallet file after checking it')
    .requiredOption('--wallet <file>', 'wallet file')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  kura wallet show --wallet treasury.wallet.json')
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
    .addHelpText(
      'after',
      '\nExamples:\n  kura wallet addresses --wallet treasury.wallet.json --count 5\n  kura wallet addresses --wallet treasury.wallet.json --change --from 100 --count 20 --json',
    )
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

  wallet
    .command('export')
    .description("write the wallet in another wallet's format: Bitcoin Core, Caravan, Coldcard/Sparrow")
    .requiredOption('--wallet <file>', 'wallet file')
    .requiredOption(
      '--format <format>',
      'descriptor (Bitcoin Core importdescriptors), caravan (Caravan wallet config), coldcard (Coldcard and Sparrow)',
    )
    .option('--out <file>', 'file to write (never overwritten); without it the file is printed')
    .option(
      '--name <name>',
      "a name for the other wallet (Coldcard: 1–20 ASCII characters); default the wallet's",
    )
    .option(
      '--timestamp <time>',
      'descriptor: rescan from this Unix time, or "now" for a wallet that never received (default 0: whole chain)',
      timestampOption,
    )
    .option('--json', 'print { format, walletId, path | content } as JSON')
    .addHelpText(
      'after',
      `
Examples:
  kura wallet export --wallet treasury.wallet.json --format descriptor --out core-import.json
  kura wallet export --wallet treasury.wallet.json --format caravan --out treasury.caravan.json
  kura wallet export --wallet treasury.wallet.json --format coldcard --out treasury-coldcard.txt`,
    )
    .action(
      (flags: {
        wallet: string;
        format: string;
        out?: string;
        name?: string;
        timestamp?: number | 'now';
        json?: boolean;
      }) => {
        const format = parseExportFormat(flags.format);
        const loaded = parseWalletFile(readJsonFile(flags.wallet, 'wallet'));
        const content = exportWallet(loaded, format, {
          ...(flags.name === undefined ? {} : { name: flags.name }),
          ...(flags.timestamp === undefined ? {} : { timestamp: flags.timestamp }),
        });
        const json = flags.json ?? false;
        if (flags.out === undefined) {
          if (json) emit(ctx, true, { format, walletId: loaded.id, content }, () => []);
          else ctx.out(content);
          return;
        }
        writeFileAtomic(flags.out, content, { exclusive: true, mode: 0o444 });
        emit(ctx, json, { format, walletId: loaded.id, path: flags.out }, () => [
          `Wallet "${loaded.name}" (${loaded.id}) written as ${format} to ${flags.out}`,
        ]);
      },
    );

  wallet
    .command('import')
    .description('build a kura wallet file from a Caravan wallet config or a Coldcard/Sparrow multisig file')
    .requiredOption(
      '--format <format>',
      'caravan (Caravan wallet config JSON), coldcard (Coldcard or Sparrow file)',
    )
    .requiredOption('--in <file>', 'the file to read')
    .requiredOption('--name <name>', 'a name for people; not part of the wallet id')
    .requiredOption('--out <file>', 'wallet file to write (never overwritten)')
    .option(
      '--network <name>',
      'needed for a Coldcard file with test-network keys (tpub); must agree with Caravan',
    )
    .option('--json', 'print the wallet file as JSON')
    .addHelpText(
      'after',
      `
Example:
  kura wallet import --format caravan --in treasury.caravan.json --name treasury --out treasury.wallet.json`,
    )
    .action(
      (flags: {
        format: string;
        in: string;
        name: string;
        out: string;
        network?: string;
        json?: boolean;
      }) => {
        const format = parseImportFormat(flags.format);
        const network = flags.network === undefined ? undefined : parseNetworkName(flags.network);
        const content = readBoundedFile(flags.in, MAX_JSON_FILE_BYTES, 'in').toString('utf8');
        const file = importWallet(content, format, { name: flags.name, network });
        writeFileAtomic(flags.out, `${JSON.stringify(file, null, 2)}\n`, { exclusive: true, mode: 0o444 });
        emit(ctx, flags.json ?? false, file, () => createdLines(file, flags.out));
      },
    );
}
