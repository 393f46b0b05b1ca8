// Wallet registration (`kura signer register`): the signer checks that its own key is one of the
// wallet's (by public key and chain code: a fingerprint is 32 bits and can be forged), shows
// everything an operator must compare with the other cosigners (BIP-129's xpub-substitution
// defence, THREATS.md #16), and pins the wallet in its home.
import { existsSync } from 'node:fs';
import { bytesToHex } from '@noble/hashes/utils.js';
import { KuraError } from '../errors.js';
import { WalletDeriver } from '../bitcoin/addresses.js';
import { RECEIVE } from '../bitcoin/descriptor.js';
import { formatPathWithRoot, type AccountKey } from '../bitcoin/keyExpression.js';
import { writeFileAtomic } from '../artifacts/atomicWrite.js';
import { readJsonFile } from '../artifacts/readFile.js';
import { parseWalletFile, type LoadedWallet } from '../artifacts/walletFile.js';
import { signerPaths } from './home.js';
import { appendLedger } from './ledger.js';

export interface RegistrationReview {
  readonly walletId: string;
  readonly name: string;
  readonly network: string;
  readonly threshold: number;
  readonly cosignerCount: number;
  /** 1-based position of this signer's key in the descriptor. */
  readonly position: number;
  readonly cosigners: readonly {
    position: number;
    fingerprint: string;
    path: string;
    xpub: string;
    thisSigner: boolean;
  }[];
  readonly firstReceiveAddress: string;
  readonly descriptor: string;
}

function sameKey(a: AccountKey, b: AccountKey): boolean {
  return (
    bytesToHex(a.node.publicKey) === bytesToHex(b.node.publicKey) &&
    bytesToHex(a.node.chainCode) === bytesToHex(b.node.chainCode)
  );
}

export function reviewRegistration(own: AccountKey, loaded: LoadedWallet): RegistrationReview {
  if (own.network !== loaded.wallet.network) {
    throw new KuraError(
      'NETWORK_MISMATCH',
      `the signer's key is for ${own.network}, the wallet is ${loaded.wallet.network}`,
      {
        field: 'network',
      },
    );
  }
  const index = loaded.wallet.keys.findIndex((k) => sameKey(k, own));
  if (index < 0) {
    throw new KuraError(
      'SIGNER_KEY_NOT_IN_WALLET',
      "this signer's key (public key and chain code) is not one of the wallet's keys",
      { field: 'wallet', fingerprint: own.origin.fingerprint },
    );
  }
  return {
    walletId: loaded.id,
    name: loaded.name,
    network: loaded.wallet.network,
    threshold: loaded.wallet.threshold,
    cosignerCount: loaded.wallet.keys.length,
    position: index + 1,
    cosigners: loaded.wallet.keys.map((k, i) => ({
      position: i + 1,
      fingerprint: k.origin.fingerprint,
      path: formatPathWithRoot(k.origin.path),
      xpub: k.xpub,
      thisSigner: i === index,
    })),
    firstReceiveAddress: new WalletDeriver(loaded.wallet).derive(RECEIVE, 0).address,
    descriptor: loaded.file.descriptor,
  };
}

/** The wallet pinned on this signer, if any. */
export function loadRegisteredWallet(home: string): LoadedWallet | undefined {
  const path = signerPaths(home).wallet;
  if (!existsSync(path)) return undefined;
  return parseWalletFile(readJsonFile(path, 'registered wallet'));
}

export type PinOutcome = 'registered' | 'already-registered' | 'replaced';

/**
 * Decides what pinning `loaded` would do, refusing a different wallet unless `replace` is set.
 * Called before asking for confirmation, so a refusal comes before the operator types anything.
 */
export function planPin(home: string, loaded: LoadedWallet, replace: boolean): PinOutcome {
  const current = loadRegisteredWallet(home);
  if (current === undefined) return 'registered';
  if (current.id === loaded.id) return 'already-registered';
  if (!replace) {
    throw new KuraError(
      'WALLET_ALREADY_REGISTERED',
      `this signer already has wallet "${current.name}" (${current.id.slice(0, 16)}…) pinned; use --replace to pin another`,
      { field: 'wallet', registered: current.id },
    );
  }
  return 'replaced';
}

export function pinWallet(home: string, loaded: LoadedWallet, outcome: PinOutcome, now: number): void {
  if (outcome === 'already-registered') return;
  writeFileAtomic(signerPaths(home).wallet, `${JSON.stringify(loaded.file, null, 2)}\n`, {
    exclusive: outcome === 'registered',
  });
  appendLedger(home, 'register', { walletId: loaded.id, name: loaded.name, outcome }, now);
}
