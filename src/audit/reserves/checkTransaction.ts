// The checks of a signed proof transaction that need no node: BIP-127's shape (the commitment
// input, one output worth exactly the coins) and every coin's witness — a P2WSH multisig whose
// script hashes to the coin's output and whose signatures verify, in CHECKMULTISIG order, under
// BIP-143 with SIGHASH_ALL. Finalize runs them on the coordinator's side before writing a proof;
// verify runs them with the coins the auditor's node reports.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { payments, script as bjsScript, Transaction } from 'bitcoinjs-lib';
import { KuraError } from '../../errors.js';
import { ecc } from '../../bitcoin/ecc.js';
import { WitnessV0Sighasher } from '../../bitcoin/sighash.js';
import { commitmentHash, commitmentTxid } from '../../artifacts/buildProof.js';

/** What a coin's output holds, as the node (or the package) says. */
export interface Prevout {
  readonly valueSat: bigint;
  readonly script: Uint8Array;
}

export interface InputSigners {
  /** The transaction input (1…n). */
  readonly index: number;
  readonly threshold: number;
  readonly keys: number;
  /** Public keys whose signatures verified, in script order (hex). */
  readonly signers: readonly string[];
}

const SIGHASH_ALL = Transaction.SIGHASH_ALL;

const displayTxid = (hash: Uint8Array): string => bytesToHex(Uint8Array.from(hash).reverse());

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function parseProofTransaction(bytes: Uint8Array, field = 'proofTx'): Transaction {
  try {
    const tx = Transaction.fromBuffer(bytes);
    if (tx.toBuffer().length !== bytes.length) throw new Error('trailing bytes');
    return tx;
  } catch (cause) {
    throw new KuraError(
      'RESERVES_PROOF_INVALID',
      `reserves proof "${field}" is not a transaction`,
      { field },
      cause,
    );
  }
}

/** Input 0 is SHA-256("Proof-of-Reserves: " + message):0, with an empty scriptSig and witness. */
export function checkCommitment(tx: Transaction, message: string): void {
  const first = tx.ins[0];
  const expected = `${commitmentTxid(message)}:0`;
  if (first === undefined || first.index !== 0 || !sameBytes(first.hash, commitmentHash(message))) {
    const got = first === undefined ? 'nothing' : `${displayTxid(first.hash)}:${first.index}`;
    throw new KuraError(
      'PROOF_COMMITMENT_MISMATCH',
      `the first input spends ${got}, not the commitment ${expected} of the message`,
      { field: 'proofTx.ins[0]', expected, got },
    );
  }
  if (first.script.length > 0 || first.witness.length > 0) {
    throw new KuraError(
      'PROOF_COMMITMENT_MISMATCH',
      'the commitment input carries a scriptSig or a witness',
      {
        field: 'proofTx.ins[0]',
      },
    );
  }
}

/** Inputs 1…n spend exactly the listed coins, in order, each once. */
export function checkCoinList(tx: Transaction, coins: readonly { txid: string; vout: number }[]): void {
  const mismatch = (why: string, details: Record<string, unknown> = {}) =>
    new KuraError('PROOF_COIN_MISMATCH', `the proof's coin list ${why}`, { field: 'coins', ...details });
  if (tx.ins.length !== coins.length + 1) {
    throw mismatch(`names ${coins.length} coins, the transaction spends ${tx.ins.length - 1}`);
  }
  const seen = new Set<string>();
  coins.forEach((coin, i) => {
    const input = tx.ins[i + 1] as Transaction['ins'][number];
    const outpoint = `${coin.txid}:${coin.vout}`;
    if (displayTxid(input.hash) !== coin.txid || input.index !== coin.vout) {
      throw mismatch(
        `names ${outpoint} as coin ${i}, input ${i + 1} spends ${displayTxid(input.hash)}:${input.index}`,
        {
          coin: i,
        },
      );
    }
    if (seen.has(outpoint)) throw mismatch(`names ${outpoint} twice: it would be counted twice`, { coin: i });
    seen.add(outpoint);
  });
}

/** Exactly one output, of exactly the coins' total: no fee, nothing added (BIP-127). */
export function checkSingleOutput(tx: Transaction, totalSat: bigint): void {
  const out = tx.outs[0];
  if (tx.outs.length !== 1 || out === undefined) {
    throw new KuraError(
      'PROOF_OUTPUT_INVALID',
      `the proof has ${tx.outs.length} outputs; BIP-127 allows exactly one`,
      {
        field: 'proofTx.outs',
      },
    );
  }
  if (out.value !== totalSat) {
    throw new KuraError(
      'PROOF_OUTPUT_INVALID',
      `the output is ${out.value} sats, the coins hold ${totalSat}: it must be their exact sum`,
      { field: 'proofTx.outs[0].value' },
    );
  }
}

function signatureInvalid(index: number, why: string): KuraError {
  return new KuraError('PROOF_SIGNATURE_INVALID', `input ${index} ${why}`, {
    field: `proofTx.ins[${index}]`,
    input: index,
  });
}

/** The P2WSH multisig script of an input's witness, checked to hash to its coin's output. */
function multisigOf(index: number, witness: readonly Uint8Array[], prevout: Prevout) {
  const witnessScript = witness.at(-1);
  const program = prevout.script;
  // P2WSH output: OP_0 PUSH32 <SHA-256 of the witness script>
  if (program.length !== 34 || program[0] !== 0x00 || program[1] !== 0x20)
    throw signatureInvalid(index, 'spends a coin that is not P2WSH');
  if (witnessScript === undefined || !sameBytes(sha256(witnessScript), program.subarray(2)))
    throw signatureInvalid(index, "has a witness script that does not hash to its coin's output");
  let m: number | undefined;
  let pubkeys: Uint8Array[] | undefined;
  try {
    ({ m, pubkeys } = payments.p2ms({ output: witnessScript }));
  } catch (cause) {
    throw new KuraError(
      'PROOF_SIGNATURE_INVALID',
      `input ${index}'s witness script is not a multisig script`,
      { field: `proofTx.ins[${index}]` },
      cause,
    );
  }
  if (m === undefined || pubkeys === undefined) throw signatureInvalid(index, 'has no multisig script');
  return { witnessScript, m, pubkeys };
}

/**
 * Every coin's witness against its prevout: `prevouts[i]` belongs to input i + 1. The stack is
 * CHECKMULTISIG's: an empty item, exactly M signatures in key order, the script. Each signature
 * must be strict DER with low S and SIGHASH_ALL, and verify for a later key than the one before.
 */
export function checkInputSignatures(tx: Transaction, prevouts: readonly Prevout[]): InputSigners[] {
  const sighasher = new WitnessV0Sighasher(tx);
  return prevouts.map((prevout, i) => {
    const index = i + 1;
    const input = tx.ins[index];
    if (input === undefined) throw signatureInvalid(index, 'does not exist');
    if (input.script.length > 0) throw signatureInvalid(index, 'has a scriptSig; a P2WSH spend has none');
    const { witnessScript, m, pubkeys } = multisigOf(index, input.witness, prevout);
    const stack = input.witness;
    if (stack.length !== m + 2 || (stack[0] as Uint8Array).length !== 0) {
      throw signatureInvalid(
        index,
        `has ${stack.length - 2} signatures where its ${m}-of-${pubkeys.length} script takes ${m}`,
      );
    }
    const hash = sighasher.hash(index, witnessScript, prevout.valueSat);
    const signers: string[] = [];
    let key = 0;
    for (const encoded of stack.slice(1, -1)) {
      let decoded: { signature: Uint8Array; hashType: number };
      try {
        decoded = bjsScript.signature.decode(encoded);
      } catch {
        throw signatureInvalid(index, 'has a signature that is not strict DER');
      }
      if (decoded.hashType !== SIGHASH_ALL)
        throw signatureInvalid(
          index,
          `has a signature with sighash ${decoded.hashType}; only ALL commits to the commitment`,
        );
      while (key < pubkeys.length && !ecc.verify(hash, pubkeys[key] as Uint8Array, decoded.signature, true))
        key++;
      if (key === pubkeys.length)
        throw signatureInvalid(index, 'has a signature that verifies for none of its remaining keys');
      signers.push(bytesToHex(pubkeys[key] as Uint8Array));
      key++;
    }
    return { index, threshold: m, keys: pubkeys.length, signers };
  });
}
