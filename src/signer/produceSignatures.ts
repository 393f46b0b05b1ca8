// Making the signatures, after every check has passed. The signed file carries the same
// unsigned transaction, this signer's partial signatures and a receipt — nothing else — so the
// coordinator combines it with the package it built and can see exactly what was added.
import { Psbt, Transaction, script as bjsScript } from 'bitcoinjs-lib';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { KuraError } from '../errors.js';
import { ecc, type BIP32Interface } from '../bitcoin/ecc.js';
import { ChildKeyDeriver } from '../bitcoin/childKeys.js';
import { WitnessV0Sighasher } from '../bitcoin/sighash.js';
import { GlobalSubtype, proprietaryKey } from '../artifacts/kuraFields.js';
import type { CheckedInput } from './checks/inputs.js';

export interface SigningReceipt {
  readonly kind: 'kura-signing-receipt';
  readonly version: 1;
  readonly fingerprint: string;
  readonly txid: string;
  readonly batchId: string;
  readonly signedAt: number;
  readonly ledgerEntryHash: string;
}

/** The unsigned transaction of a PSBT, rebuilt from its inputs and outputs. */
export function unsignedTransaction(psbt: Psbt): Transaction {
  const tx = new Transaction();
  tx.version = psbt.version;
  tx.locktime = psbt.locktime;
  for (const input of psbt.txInputs) tx.addInput(Uint8Array.from(input.hash), input.index, input.sequence);
  for (const output of psbt.txOutputs) tx.addOutput(Uint8Array.from(output.script), output.value);
  return tx;
}

function matches(privateKey: Uint8Array, publicKey: Uint8Array): boolean {
  const derived = ecc.pointFromScalar(privateKey, true);
  return derived !== null && bytesToHex(derived) === bytesToHex(publicKey);
}

export interface OwnSignature {
  readonly inputIndex: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array; // DER + sighash byte
}

/**
 * Signs every input with this signer's key at the input's derivation. `account` is the private
 * BIP-48 account node; branch nodes are derived once and checked against the public key the review
 * derived from the registered xpub, so each child private key is just branch key + IL (childKeys.ts).
 */
export function signInputs(
  psbt: Psbt,
  inputs: readonly CheckedInput[],
  account: BIP32Interface,
  fingerprint: string,
): OwnSignature[] {
  const sighasher = new WitnessV0Sighasher(unsignedTransaction(psbt));
  const branches = new Map<number, { node: BIP32Interface; children: ChildKeyDeriver; checked: boolean }>();
  return inputs.map((input) => {
    const own = input.derived.keys.find((k) => k.fingerprint === fingerprint);
    const branch = input.derived.branch;
    if (own === undefined) throw new KuraError('INTERNAL', `input ${input.index} has no key of this signer`);
    let branchKeys = branches.get(branch);
    if (branchKeys === undefined) {
      const node = account.derive(branch);
      branchKeys = { node, children: new ChildKeyDeriver(node), checked: false };
      branches.set(branch, branchKeys);
    }
    const { node, children } = branchKeys;
    const privateKey =
      node.privateKey === undefined ? undefined : children.privateChild(node.privateKey, input.derived.index);
    // The first input of each branch proves the unlocked key is the registered one; the others
    // follow from the same branch key (child = branch + IL on both sides).
    if (privateKey === undefined || (!branchKeys.checked && !matches(privateKey, own.publicKey))) {
      throw new KuraError(
        'INTERNAL',
        `input ${input.index}: the unlocked key does not match the wallet's key`,
      );
    }
    branchKeys.checked = true;
    const hash = sighasher.hash(input.index, input.derived.witnessScript, input.valueSat);
    const signature = bjsScript.signature.encode(ecc.sign(hash, privateKey), Transaction.SIGHASH_ALL);
    return { inputIndex: input.index, publicKey: own.publicKey, signature };
  });
}

/** The signed file: same unsigned transaction, the new partial signatures, and the receipt. */
export function signedFile(psbt: Psbt, signatures: readonly OwnSignature[], receipt: SigningReceipt): Psbt {
  const out = new Psbt({ network: undefined });
  out.setVersion(psbt.version);
  out.setLocktime(psbt.locktime);
  for (const input of psbt.txInputs)
    out.addInput({ hash: Uint8Array.from(input.hash), index: input.index, sequence: input.sequence });
  for (const output of psbt.txOutputs)
    out.addOutput({ script: Uint8Array.from(output.script), value: output.value });
  for (const s of signatures) {
    // Set directly: bip174's updateInput refuses a partial signature on an input without UTXO
    // data, and this file deliberately carries nothing but the signatures.
    const target = out.data.inputs[s.inputIndex];
    if (target === undefined) throw new KuraError('INTERNAL', `signed file lacks input ${s.inputIndex}`);
    target.partialSig = [{ pubkey: s.publicKey, signature: s.signature }];
  }
  out.addUnknownKeyValToGlobal({
    key: proprietaryKey(GlobalSubtype.receipt, Buffer.from(receipt.fingerprint, 'hex')),
    value: utf8ToBytes(JSON.stringify(receipt)),
  });
  return out;
}
