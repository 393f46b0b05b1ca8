// Building a signing package: a standard PSBT with everything a signer re-checks — full previous
// transactions, witness scripts, BIP-32 derivations of every cosigner, change derivations — plus
// kura's request and approval fields. Inputs are added bare and then updated: bitcoinjs-lib's
// addInput with UTXO data re-checks all earlier inputs and is quadratic (DESIGN.md section 9).
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { hexToBytes } from '@noble/hashes/utils.js';
import bs58check from 'bs58check';
import { KuraError } from '../errors.js';
import { WalletDeriver, type DerivedAddress } from '../bitcoin/addresses.js';
import { CHANGE, type Branch, type MultisigWallet } from '../bitcoin/descriptor.js';
import { formatPathWithRoot } from '../bitcoin/keyExpression.js';
import { networkInfo } from '../bitcoin/networks.js';
import type { WithdrawalRequest } from '../approvals/request.js';
import { writePackage, type PackageHeader, type PackagedApproval } from './kuraFields.js';

/** BIP-125: any sequence below 0xfffffffe signals replaceability (fee bumps). */
export const RBF_SEQUENCE = 0xfffffffd;

export interface PackageCoin {
  readonly previousTx: Uint8Array;
  readonly vout: number;
  readonly branch: Branch;
  readonly index: number;
}

export interface PackageSpec {
  readonly wallet: MultisigWallet;
  readonly header: PackageHeader;
  readonly coins: readonly PackageCoin[];
  readonly requests: readonly WithdrawalRequest[];
  readonly approvals: readonly PackagedApproval[];
  readonly change?: { readonly index: number; readonly valueSat: bigint };
  readonly locktime?: number;
}

/**
 * BIP-174 PSBT_GLOBAL_XPUB for every cosigner: the account xpub (78 bytes, as serialized in
 * BIP-32), its master fingerprint and path. Hardware wallets use these to recognise change as
 * their own multisig wallet's instead of showing it as a payment.
 */
export function globalXpubs(wallet: MultisigWallet) {
  return wallet.keys.map((k) => ({
    masterFingerprint: hexToBytes(k.origin.fingerprint),
    extendedPubkey: bs58check.decode(k.xpub),
    path: formatPathWithRoot(k.origin.path),
  }));
}

function derivations(derived: DerivedAddress) {
  return derived.keys.map((k) => ({
    masterFingerprint: hexToBytes(k.fingerprint),
    pubkey: k.publicKey,
    path: `m/${k.path.map((s) => (s >= 0x80000000 ? `${s - 0x80000000}'` : `${s}`)).join('/')}`,
  }));
}

export function buildSigningPackage(spec: PackageSpec, deriver = new WalletDeriver(spec.wallet)): Psbt {
  const psbt = new Psbt({ network: networkInfo(spec.wallet.network).bitcoinjs });
  psbt.setVersion(2);
  psbt.setLocktime(spec.locktime ?? 0);
  psbt.updateGlobal({ globalXpub: globalXpubs(spec.wallet) });
  const parsed = new Map<Uint8Array, Transaction>();
  for (const coin of spec.coins) {
    let tx = parsed.get(coin.previousTx);
    if (tx === undefined) {
      tx = Transaction.fromBuffer(coin.previousTx);
      parsed.set(coin.previousTx, tx);
    }
    psbt.addInput({ hash: tx.getHash(), index: coin.vout, sequence: RBF_SEQUENCE });
  }
  spec.coins.forEach((coin, i) => {
    const tx = parsed.get(coin.previousTx) as Transaction;
    const out = tx.outs[coin.vout];
    if (out === undefined)
      throw new KuraError('ARGUMENT_INVALID', `coin ${i} names a missing output ${coin.vout}`);
    const derived = deriver.derive(coin.branch, coin.index);
    psbt.updateInput(i, {
      nonWitnessUtxo: coin.previousTx,
      witnessUtxo: { script: out.script, value: out.value },
      witnessScript: derived.witnessScript,
      bip32Derivation: derivations(derived),
    });
  });
  const outputs = new Map<number, string>();
  for (const request of spec.requests) {
    outputs.set(psbt.txOutputs.length, request.requestId);
    psbt.addOutput({ script: request.scriptPubKey, value: request.amountSat });
  }
  if (spec.change !== undefined) {
    const derived = deriver.derive(CHANGE, spec.change.index);
    psbt.addOutput({ script: derived.scriptPubKey, value: spec.change.valueSat });
    psbt.updateOutput(psbt.txOutputs.length - 1, {
      witnessScript: derived.witnessScript,
      bip32Derivation: derivations(derived),
    });
  }
  writePackage(psbt, { header: spec.header, requests: spec.requests, approvals: spec.approvals, outputs });
  return psbt;
}
