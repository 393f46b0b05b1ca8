// The proof-of-reserves package (BIP-127): a PSBT whose first input "spends" the commitment
// SHA-256("Proof-of-Reserves: " + message):0 — an output that cannot exist, so the transaction can
// never be mined — and whose other inputs are the wallet's coins, paid whole (no fee) to one of
// the wallet's own addresses. The message rides on the first input as PSBT_IN_POR_COMMITMENT
// (type 0x09, which bip174 parses into `porCommitment`). The signer (src/signer/reviewProof.ts)
// and the auditor's verifier (src/audit/reserves) use the commitment helpers below. Layout and
// byte order: docs/reserves.md.
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { KuraError } from '../errors.js';
import { WalletDeriver, type DerivedAddress } from '../bitcoin/addresses.js';
import type { Branch, MultisigWallet } from '../bitcoin/descriptor.js';
import { networkInfo } from '../bitcoin/networks.js';
import { globalXpubs, type PackageCoin } from './buildPackage.js';
import { writePackage, type PackageHeader } from './kuraFields.js';

/** BIP-127's prefix of the committed message. */
export const POR_PREFIX = 'Proof-of-Reserves: ';
/** A message is shown to every signing operator and printed in reports: keep it to a paragraph. */
export const MAX_PROOF_MESSAGE_BYTES = 1000;
/** No relative or absolute lock: the proof is never broadcast, and nothing needs replacing. */
const FINAL_SEQUENCE = 0xffffffff;

/**
 * The commitment input's outpoint hash: the raw SHA-256 digest, placed in the serialized
 * outpoint byte for byte. Like every txid, it is displayed reversed (see commitmentTxid).
 */
export function commitmentHash(message: string): Uint8Array {
  return sha256(utf8ToBytes(POR_PREFIX + message));
}

/** The commitment outpoint's txid as RPC and explorers print txids: the digest reversed. */
export function commitmentTxid(message: string): string {
  return bytesToHex(Uint8Array.from(commitmentHash(message)).reverse());
}

// C0 and C1 controls and DEL would let a message move the cursor or clear the operator's screen;
// bidirectional overrides would let it display in another order than it is signed.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** Refuses a message no person could read safely: PROOF_MESSAGE_INVALID, naming the field. */
export function checkProofMessage(message: unknown, field = 'message'): string {
  const fail = (why: string) => new KuraError('PROOF_MESSAGE_INVALID', `"${field}" ${why}`, { field });
  if (typeof message !== 'string' || message.length === 0) throw fail('must be non-empty text');
  // A lone surrogate has no UTF-8 encoding: what would be hashed is not what is shown.
  if (/\p{Cs}/u.test(message)) throw fail('is not valid Unicode');
  if (utf8ToBytes(message).length > MAX_PROOF_MESSAGE_BYTES)
    throw fail(`is longer than ${MAX_PROOF_MESSAGE_BYTES} bytes of UTF-8`);
  if (UNSAFE_CHARACTERS.test(message))
    throw fail('holds control or text-direction characters, which could hide what it says');
  return message;
}

export interface ProofPackageSpec {
  readonly wallet: MultisigWallet;
  /** purpose 'reserves'; no bumps. */
  readonly header: PackageHeader;
  readonly message: string;
  /** The wallet's coins, in the order they become inputs 1…n. */
  readonly coins: readonly PackageCoin[];
  /** The wallet address the single output pays (never broadcast, but a signer still checks it). */
  readonly output: { readonly branch: Branch; readonly index: number };
}

function derivations(derived: DerivedAddress) {
  return derived.keys.map((k) => ({
    masterFingerprint: hexToBytes(k.fingerprint),
    pubkey: k.publicKey,
    path: `m/${k.path.map((s) => (s >= 0x80000000 ? `${s - 0x80000000}'` : `${s}`)).join('/')}`,
  }));
}

/**
 * Builds the proof package. Inputs are added bare and updated afterwards, as in buildPackage.ts:
 * bitcoinjs-lib's addInput with UTXO data is quadratic.
 */
export function buildProofPackage(spec: ProofPackageSpec, deriver = new WalletDeriver(spec.wallet)): Psbt {
  if (spec.header.purpose !== 'reserves' || spec.header.bumps !== undefined) {
    throw new KuraError('INTERNAL', 'a proof package has purpose "reserves" and bumps nothing');
  }
  const message = checkProofMessage(spec.message);
  if (spec.coins.length === 0) throw new KuraError('RESERVES_NO_COINS', 'a proof needs at least one coin');
  const psbt = new Psbt({ network: networkInfo(spec.wallet.network).bitcoinjs });
  psbt.setVersion(2);
  psbt.setLocktime(0);
  psbt.updateGlobal({ globalXpub: globalXpubs(spec.wallet) });
  psbt.addInput({ hash: commitmentHash(message), index: 0, sequence: FINAL_SEQUENCE });
  psbt.updateInput(0, { porCommitment: message });

  const parsed = new Map<Uint8Array, Transaction>();
  let totalSat = 0n;
  for (const coin of spec.coins) {
    let tx = parsed.get(coin.previousTx);
    if (tx === undefined) {
      tx = Transaction.fromBuffer(coin.previousTx);
      parsed.set(coin.previousTx, tx);
    }
    psbt.addInput({ hash: tx.getHash(), index: coin.vout, sequence: FINAL_SEQUENCE });
  }
  spec.coins.forEach((coin, i) => {
    const out = (parsed.get(coin.previousTx) as Transaction).outs[coin.vout];
    if (out === undefined)
      throw new KuraError('ARGUMENT_INVALID', `coin ${i} names a missing output ${coin.vout}`);
    const derived = deriver.derive(coin.branch, coin.index);
    totalSat += out.value;
    psbt.updateInput(i + 1, {
      nonWitnessUtxo: coin.previousTx,
      witnessUtxo: { script: out.script, value: out.value },
      witnessScript: derived.witnessScript,
      bip32Derivation: derivations(derived),
    });
  });

  const pay = deriver.derive(spec.output.branch, spec.output.index);
  psbt.addOutput({ script: pay.scriptPubKey, value: totalSat });
  psbt.updateOutput(0, { witnessScript: pay.witnessScript, bip32Derivation: derivations(pay) });
  writePackage(psbt, { header: spec.header, requests: [], approvals: [], outputs: new Map() });
  return psbt;
}
