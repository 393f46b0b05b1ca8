// A kura wallet written in the formats other wallets import: Bitcoin Core's `importdescriptors`
// request, Caravan's wallet configuration, and the Coldcard multisig setup file (which Sparrow
// also imports). Pure: the caller reads the wallet file and writes the result. Field lists and
// their sources are in docs/interop.md.
import { KuraError } from '../errors.js';
import { formatPathWithRoot } from '../bitcoin/keyExpression.js';
import type { NetworkName } from '../bitcoin/networks.js';
import { checkWalletName, type LoadedWallet } from './walletFile.js';

export const EXPORT_FORMATS = ['descriptor', 'caravan', 'coldcard'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function parseExportFormat(value: unknown): ExportFormat {
  if (typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value)) {
    return value as ExportFormat;
  }
  throw new KuraError('ARGUMENT_INVALID', `"format" must be one of ${EXPORT_FORMATS.join(', ')}`, {
    field: 'format',
  });
}

/** One entry of Bitcoin Core's `importdescriptors` request. */
export interface CoreDescriptorImport {
  readonly desc: string;
  readonly active: true;
  readonly internal: boolean;
  readonly timestamp: number | 'now';
  readonly range: readonly [number, number];
}

export interface DescriptorExportOptions {
  /**
   * Where Bitcoin Core starts rescanning: a Unix time, or 'now' for a wallet that has never
   * received anything. The default 0 rescans the whole chain: slow, but it never misses a coin.
   */
  readonly timestamp?: number | 'now';
  /** Addresses Bitcoin Core derives ahead; its own keypool default is 1,000. */
  readonly rangeEnd?: number;
}

/**
 * Bitcoin Core `importdescriptors` request (a JSON array): the single-path receive and change
 * descriptors with their checksums, both active, change marked internal. Core reads single-path
 * descriptors since 0.21; the BIP-389 multipath form only since 29, so the single-path pair is used.
 */
export function coreImportDescriptors(
  wallet: LoadedWallet,
  options: DescriptorExportOptions = {},
): CoreDescriptorImport[] {
  const timestamp = options.timestamp ?? 0;
  if (timestamp !== 'now' && (!Number.isSafeInteger(timestamp) || timestamp < 0)) {
    throw new KuraError('ARGUMENT_INVALID', '"timestamp" must be a Unix time or "now"', {
      field: 'timestamp',
    });
  }
  const rangeEnd = options.rangeEnd ?? 999;
  return [
    { desc: wallet.file.receiveDescriptor, active: true, internal: false, timestamp, range: [0, rangeEnd] },
    { desc: wallet.file.changeDescriptor, active: true, internal: true, timestamp, range: [0, rangeEnd] },
  ];
}

/** Caravan's wallet configuration, as its coordinator downloads and uploads it. */
export interface CaravanConfig {
  readonly name: string;
  readonly addressType: 'P2WSH';
  /** Caravan names networks exactly as kura does: mainnet, testnet, regtest, signet. */
  readonly network: NetworkName;
  readonly client: { readonly type: 'public' };
  readonly quorum: { readonly requiredSigners: number; readonly totalSigners: number };
  readonly extendedPublicKeys: readonly {
    readonly name: string;
    readonly bip32Path: string;
    readonly xpub: string;
    readonly xfp: string;
  }[];
  readonly startingAddressIndex: 0;
}

export function caravanConfig(wallet: LoadedWallet): CaravanConfig {
  const keys = wallet.wallet.keys;
  return {
    name: wallet.name,
    addressType: 'P2WSH',
    network: wallet.wallet.network,
    // Caravan asks for a blockchain client; "public" is its default and the operator picks
    // their own node in Caravan (a regtest wallet needs "private" there).
    client: { type: 'public' },
    quorum: { requiredSigners: wallet.wallet.threshold, totalSigners: keys.length },
    extendedPublicKeys: keys.map((k, i) => ({
      name: `cosigner ${i + 1} (${k.origin.fingerprint})`,
      bip32Path: formatPathWithRoot(k.origin.path),
      xpub: k.xpub,
      xfp: k.origin.fingerprint,
      // No "method": Caravan's own download rewrites bip32Path of a "text" key to "Unknown"
      // (selectors/wallet.ts), and a key without one keeps its path and fingerprint there.
    })),
    startingAddressIndex: 0,
  };
}

/**
 * Coldcard refuses a setup file whose name is not 1–20 printable ASCII characters; a `#` would
 * start a comment there and cut the name short.
 */
export const COLDCARD_MAX_NAME_LENGTH = 20;

export function checkColdcardName(name: string): string {
  const printable = new RegExp(`^[\\x20-\\x22\\x24-\\x7e]{1,${COLDCARD_MAX_NAME_LENGTH}}$`);
  if (!printable.test(name) || name.trim() !== name) {
    throw new KuraError(
      'ARGUMENT_INVALID',
      `"name" must be 1–${COLDCARD_MAX_NAME_LENGTH} printable ASCII characters without # for a Coldcard (give another with --name)`,
      { field: 'name' },
    );
  }
  return name;
}

/**
 * The Coldcard multisig setup file: `Name`, `Policy: M of N`, `Format: P2WSH`, then each key as
 * `XFP: xpub` under the `Derivation` line that applies to it (repeated when the path changes,
 * as Coldcard itself writes it). Sparrow imports the same file.
 */
export function coldcardSetupText(wallet: LoadedWallet, name = wallet.name): string {
  const keys = wallet.wallet.keys;
  const lines = [
    `# Coldcard multisig setup file, written by kura`,
    `# kura wallet id ${wallet.id}`,
    '#',
    `Name: ${checkColdcardName(name)}`,
    `Policy: ${wallet.wallet.threshold} of ${keys.length}`,
    'Format: P2WSH',
  ];
  let derivation: string | undefined;
  for (const key of keys) {
    const path = formatPathWithRoot(key.origin.path);
    if (path !== derivation) {
      lines.push('', `Derivation: ${path}`, '');
      derivation = path;
    }
    lines.push(`${key.origin.fingerprint.toUpperCase()}: ${key.xpub}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface ExportOptions extends DescriptorExportOptions {
  /** A name for the Coldcard file when the wallet's own does not fit Coldcard's rule. */
  readonly name?: string;
}

/** The exported file's content, ready to write. */
export function exportWallet(
  wallet: LoadedWallet,
  format: ExportFormat,
  options: ExportOptions = {},
): string {
  switch (format) {
    case 'descriptor':
      return `${JSON.stringify(coreImportDescriptors(wallet, options), null, 2)}\n`;
    case 'caravan': {
      const config = caravanConfig(wallet);
      const name = options.name === undefined ? config.name : checkWalletName(options.name);
      return `${JSON.stringify({ ...config, name }, null, 2)}\n`;
    }
    case 'coldcard':
      return coldcardSetupText(wallet, options.name);
  }
}
