// Building a signing package: a standard PSBT with everything a signer re-checks — full previous
// transactions, witness scripts, BIP-32 derivations of every cosigner, change derivations — plus
// kura's request and approval fields. bitcoinjs-lib's Psbt re-checks every earlier input on each
// addInput and addOutput, which makes the obvious call order quadratic (DESIGN.md section 9,
// docs/speed.md). So: the inputs go bare straight into the PSBT's data, the outputs are added
// while no input has UTXO data yet (for an input with a witness UTXO that check tries its script
// as taproot, a thrown and caught error per input per output: 11 outputs after 3,000 updated
// inputs took 1.5 s), and only then does each input get its UTXO data, witness script and
// derivations through Psbt.updateInput. test/bench/build-order.test.ts proves the bytes are those
// of the plain order.
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
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
  // Each previous transaction is parsed and hashed once, however many of its outputs are spent.
  const parsed = new Map<Uint8Array, { tx: Transaction; hash: Uint8Array; txid: string }>();
  const spent = new Set<string>();
  spec.coins.forEach((coin, i) => {
    let prev = parsed.get(coin.previousTx);
    if (prev === undefined) {
      const tx = Transaction.fromBuffer(coin.previousTx);
      const hash = tx.getHash();
      prev = { tx, hash, txid: bytesToHex(Uint8Array.from(hash).reverse()) };
      parsed.set(coin.previousTx, prev);
    }
    const outpoint = `${prev.txid}:${coin.vout}`;
    if (spent.has(outpoint)) {
      throw new KuraError('ARGUMENT_INVALID', `coin ${i} spends ${outpoint} a second time`, {
        field: 'coins',
        outpoint,
      });
    }
    spent.add(outpoint);
    // Psbt.addInput would check every earlier input for signatures (up to 0.2 s at 3,000 inputs)
    // and for this outpoint: these inputs are new and bare, and duplicates are refused just above.
    psbt.data.addInput({ hash: prev.hash, index: coin.vout, sequence: RBF_SEQUENCE });
  });
  // Output positions are counted here: psbt.txOutputs decodes an address for every output on
  // each read, which made a 1-input package cost 5 ms.
  const outputs = new Map<number, string>();
  spec.requests.forEach((request, index) => {
    outputs.set(index, request.requestId);
    psbt.addOutput({ script: request.scriptPubKey, value: request.amountSat });
  });
  const change =
    spec.change === undefined
      ? undefined
      : { ...spec.change, derived: deriver.derive(CHANGE, spec.change.index) };
  if (change !== undefined) psbt.addOutput({ script: change.derived.scriptPubKey, value: change.valueSat });
  spec.coins.forEach((coin, i) => {
    const out = parsed.get(coin.previousTx)?.tx.outs[coin.vout];
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
  if (change !== undefined) {
    psbt.updateOutput(spec.requests.length, {
      witnessScript: change.derived.witnessScript,
      bip32Derivation: derivations(change.derived),
    });
  }
  writePackage(psbt, { header: spec.header, requests: spec.requests, approvals: spec.approvals, outputs });
  return psbt;
}
