// `kura wallet create`: cosigners given as cosigner files, key-origin strings or SLIP-132 keys
// become one wallet file. The network comes from --network, else from the cosigner files, else
// from mainnet key versions; test-network keys (tpub, Vpub) cannot say which test network.
import { existsSync } from 'node:fs';
import { KuraError } from '../errors.js';
import { makeMultisigWallet } from '../bitcoin/descriptor.js';
import { guessKeyNetwork, parseKeyOriginString, type AccountKey } from '../bitcoin/keyExpression.js';
import type { NetworkName } from '../bitcoin/networks.js';
import { parseCosignerFile } from './cosignerFile.js';
import { asObject, asNetwork } from './fields.js';
import { readJsonFile } from './readFile.js';
import { checkWalletName, walletFileFor, type WalletFile } from './walletFile.js';

export interface CreateWalletInput {
  readonly threshold: number;
  /** Each entry is a path to a cosigner file or a `[fp/path]key` string. */
  readonly cosigners: readonly string[];
  readonly name: string;
  readonly network?: NetworkName | undefined;
}

type CosignerSource = { kind: 'file'; json: unknown; network: NetworkName } | { kind: 'key'; text: string };

function loadSource(value: string, i: number): CosignerSource {
  if (value.trim().startsWith('[')) return { kind: 'key', text: value.trim() };
  if (!existsSync(value)) {
    throw new KuraError(
      /^[1-9A-HJ-NP-Za-km-z]{100,120}$/.test(value.trim()) ? 'KEY_ORIGIN_MISSING' : 'FILE_NOT_FOUND',
      `"cosigner ${i + 1}" is neither a cosigner file nor a [fingerprint/path]key string`,
      { field: `cosigners[${i}]` },
    );
  }
  const json = readJsonFile(value, `cosigner ${i + 1}`);
  return {
    kind: 'file',
    json,
    network: asNetwork(asObject(json, `cosigner ${i + 1}`).network, `cosigner ${i + 1} network`),
  };
}

function decideNetwork(sources: readonly CosignerSource[], given: NetworkName | undefined): NetworkName {
  if (given !== undefined) return given;
  const fromFile = sources.find((s) => s.kind === 'file');
  if (fromFile?.kind === 'file') return fromFile.network;
  const first = sources[0];
  const guessed = first?.kind === 'key' ? guessKeyNetwork(first.text.replace(/^\[[^\]]*\]/, '')) : undefined;
  if (guessed === 'mainnet') return 'mainnet';
  throw new KuraError('INPUT_REQUIRED', 'test-network keys do not say which network: add --network', {
    field: 'network',
  });
}

export function createWallet(input: CreateWalletInput): WalletFile {
  const name = checkWalletName(input.name);
  const sources = input.cosigners.map(loadSource);
  const network = decideNetwork(sources, input.network);
  const keys: AccountKey[] = sources.map((source, i) => {
    const field = `cosigners[${i}]`;
    if (source.kind === 'file') {
      if (source.network !== network) {
        throw new KuraError(
          'KEY_NETWORK_MISMATCH',
          `cosigner ${i + 1} is for ${source.network}, the wallet is ${network}`,
          {
            field,
          },
        );
      }
      return parseCosignerFile(source.json, network);
    }
    return parseKeyOriginString(source.text, network, field);
  });
  return walletFileFor(name, makeMultisigWallet(input.threshold, keys, network));
}
